#include "core/job.h"

namespace ghscale {

std::string_view to_string(JobStatus status) {
  switch (status) {
    case JobStatus::kWaiting: return "waiting";
    case JobStatus::kQueued: return "queued";
    case JobStatus::kInProgress: return "in_progress";
    case JobStatus::kCompleted: return "completed";
  }
  return "queued";
}

std::optional<JobStatus> parse_job_status(std::string_view text) {
  if (text == "waiting") return JobStatus::kWaiting;
  if (text == "queued" || text == "pending" || text == "requested") return JobStatus::kQueued;
  if (text == "in_progress") return JobStatus::kInProgress;
  if (text == "completed") return JobStatus::kCompleted;
  return std::nullopt;
}

}  // namespace ghscale
