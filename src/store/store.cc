#include "store/store.h"

#include <algorithm>
#include <map>

namespace ghscale::store {

std::string_view to_string(RecordOutcome outcome) {
  switch (outcome) {
    case RecordOutcome::kRecorded: return "recorded";
    case RecordOutcome::kDuplicate: return "duplicate";
  }
  return "recorded";
}

void Store::record_async(const JobEvent& event, RecordDone done) { done(record(event)); }

Result<std::vector<QueuedGroup>> Store::queued_groups(std::size_t per_group) {
  // Every queued job: bounded by the backlog, which backends without a queue index accept.
  auto queued = queued_jobs(std::nullopt, std::size_t{1} << 40);
  if (!queued.ok()) return queued.error();
  std::map<std::string, QueuedGroup> groups;  // by labels; NUL joins, as no label has one
  for (Job& j : *queued) {
    QueuedGroup& g = groups[j.labels.joined('\0')];
    if (g.count++ == 0) g.labels = j.labels;
    if (g.oldest.size() < per_group) g.oldest.push_back(std::move(j));
  }
  std::vector<QueuedGroup> out;
  out.reserve(groups.size());
  for (auto& [key, g] : groups) out.push_back(std::move(g));
  return out;
}

Result<std::vector<std::int64_t>> Store::active_run_ids(std::size_t limit) {
  std::vector<std::int64_t> runs;
  for (JobStatus status : {JobStatus::kQueued, JobStatus::kInProgress}) {
    JobFilter filter;
    filter.status = status;
    filter.limit = std::size_t{1} << 40;
    auto jobs = list_jobs(filter);
    if (!jobs.ok()) return jobs.error();
    for (const Job& j : *jobs) {
      if (j.run_id != 0) runs.push_back(j.run_id);
    }
  }
  std::sort(runs.begin(), runs.end());
  runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
  if (runs.size() > limit) runs.resize(limit);
  return runs;
}

}  // namespace ghscale::store
