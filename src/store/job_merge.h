// How a job event folds into the job the store already knows. One pure function shared by
// every backend, so they cannot disagree on the rules.
#pragma once

#include "core/job.h"

namespace ghscale::store {

// Merges `event` into `current` (nullptr when the job is new) and returns the new job.
// - status is the later of the two (forward only: waiting < queued < in_progress < completed);
// - a field the event knows overwrites the job's when the event is not behind the job;
// - a late event (behind the job) only fills fields still unknown (empty, 0, unset);
// - delivery_id/event/action follow the event that set the status; received_at is the
//   latest delivery time seen, so retention counts from the last change.
Job merge_job(const Job* current, const JobEvent& event);

}  // namespace ghscale::store
