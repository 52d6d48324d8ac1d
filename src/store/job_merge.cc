#include "store/job_merge.h"

#include <algorithm>
#include <optional>
#include <string>

namespace ghscale::store {
namespace {

bool unknown(const std::string& s) { return s.empty(); }
bool unknown(std::int64_t v) { return v == 0; }
bool unknown(const std::optional<TimePoint>& t) { return !t.has_value(); }
bool unknown(const LabelSet& l) { return l.empty(); }

// The event wins when it knows the field and is not behind; otherwise it only fills a gap.
template <typename T>
void take(T& field, const T& from_event, bool event_is_current) {
  if (unknown(from_event)) return;
  if (event_is_current || unknown(field)) field = from_event;
}

}  // namespace

Job merge_job(const Job* current, const JobEvent& event) {
  if (current == nullptr) return event;
  Job job = *current;
  const bool event_is_current = event.status >= current->status;
  if (event_is_current) {
    job.status = event.status;
    job.delivery_id = event.delivery_id;
    job.event = event.event;
    job.action = event.action;
  }
  take(job.run_id, event.run_id, event_is_current);
  take(job.run_attempt, event.run_attempt, event_is_current);
  take(job.repository, event.repository, event_is_current);
  take(job.owner, event.owner, event_is_current);
  take(job.installation_id, event.installation_id, event_is_current);
  take(job.labels, event.labels, event_is_current);
  take(job.conclusion, event.conclusion, event_is_current);
  take(job.runner_id, event.runner_id, event_is_current);
  take(job.runner_name, event.runner_name, event_is_current);
  take(job.runner_group_id, event.runner_group_id, event_is_current);
  take(job.runner_group_name, event.runner_group_name, event_is_current);
  take(job.workflow_name, event.workflow_name, event_is_current);
  take(job.job_name, event.job_name, event_is_current);
  take(job.created_at, event.created_at, event_is_current);
  take(job.started_at, event.started_at, event_is_current);
  take(job.completed_at, event.completed_at, event_is_current);
  job.received_at = std::max(current->received_at, event.received_at);
  return job;
}

}  // namespace ghscale::store
