// A GitHub Actions job as ghscale learns of it from workflow_job webhooks (and the sweep).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/labels.h"

namespace ghscale {

// Forward-only order: a job never moves back to an earlier status.
// GitHub's "waiting" (held by an environment protection rule) sits before "queued".
enum class JobStatus { kWaiting = 0, kQueued = 1, kInProgress = 2, kCompleted = 3 };

std::string_view to_string(JobStatus status);
std::optional<JobStatus> parse_job_status(std::string_view text);

// One delivery of a workflow_job event, flattened to what the store keeps.
struct JobEvent {
  std::string delivery_id;  // X-GitHub-Delivery; dedupe key
  std::string event;        // "workflow_job"
  std::string action;       // "queued", "waiting", "in_progress", "completed"
  std::int64_t job_id = 0;
  std::int64_t run_id = 0;
  std::int64_t run_attempt = 1;
  std::string repository;  // "owner/name"
  std::string owner;       // org or user login
  std::int64_t installation_id = 0;  // 0 when the hook is not an App's
  LabelSet labels;
  JobStatus status = JobStatus::kQueued;
  std::string conclusion;  // "success", "failure", ... when completed
  std::int64_t runner_id = 0;
  std::string runner_name;
  std::int64_t runner_group_id = 0;
  std::string runner_group_name;
  std::string workflow_name;
  std::string job_name;
  std::optional<TimePoint> created_at;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> completed_at;
  TimePoint received_at{};
};

// The current state of a job: the merge of its events, status moving forward only.
using Job = JobEvent;

// What the delivery ids of the events a scale-set listener records begin with. A job
// recorded so is GitHub's own word (never held as a replay), is a scale-set pool's demand
// (the same job seen through the REST API or a webhook has another id, and is not), and
// is unknown to the REST API (the sweep does not ask it about it).
inline constexpr std::string_view kScaleSetDeliveryPrefix = "scaleset:";
inline bool from_scale_set(const JobEvent& job) { return job.delivery_id.rfind(kScaleSetDeliveryPrefix, 0) == 0; }

}  // namespace ghscale
