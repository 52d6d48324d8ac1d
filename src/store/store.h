// The Store keeps what ghscale must not forget across restarts: the journal of webhook job
// events (deduplicated by delivery id), the instances it manages, the action log, settings
// and leases. Backends: memory (tests, simulation), SQLite (embedded default), later
// DynamoDB. This header includes no backend headers.
//
// Contract shared by every backend (tests/store/store_conformance_test.cc checks it):
// - Every method is safe to call from many threads at once.
// - A write that returned ok is durable as far as the backend can make it (SQLite: on disk).
// - Expected failures come back as Error values with a closed ErrorKind; nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/instance.h"
#include "core/job.h"
#include "core/labels.h"

namespace ghscale::store {

enum class RecordOutcome { kRecorded, kDuplicate };
std::string_view to_string(RecordOutcome outcome);

// How many jobs the store knows in each status.
struct JobCounts {
  std::int64_t waiting = 0;
  std::int64_t queued = 0;
  std::int64_t in_progress = 0;
  std::int64_t completed = 0;
  std::int64_t total() const { return waiting + queued + in_progress + completed; }
  friend bool operator==(const JobCounts&, const JobCounts&) = default;
};

// Queued jobs sharing one set of runs-on labels.
struct QueuedGroup {
  LabelSet labels;
  std::int64_t count = 0;
  std::vector<Job> oldest;  // at most the per_group asked for, oldest job id first
};

// For listings (`ghscale jobs`): newest job id first.
struct JobFilter {
  std::optional<JobStatus> status;  // nullopt = every status
  std::size_t limit = 100;
};

// A named mutual-exclusion lease with expiry (the scaler lease in HA setups). `token`
// grows every time the lease changes hands, so a holder can fence its writes with it.
struct Lease {
  std::string name;
  std::string holder;
  TimePoint expires_at{};
  std::int64_t token = 0;
};

struct RetentionPolicy {
  Duration completed_jobs_older_than{std::chrono::hours(24 * 7)};
  Duration actions_older_than{std::chrono::hours(24 * 30)};
};

struct PruneResult {
  std::int64_t jobs = 0;
  std::int64_t deliveries = 0;
  std::int64_t actions = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- job events -------------------------------------------------------------------
  // Records one webhook delivery. A delivery id seen before changes nothing (kDuplicate).
  // The job (by job_id) merges the event: status only moves forward
  // (waiting < queued < in_progress < completed); a late event cannot move it back but may
  // fill fields still unknown (e.g. runner_name). See store/job_merge.h.
  virtual Result<RecordOutcome> record(const JobEvent& event) = 0;
  // The same write without holding the calling thread: `done` is called exactly once,
  // once the event is durable (or the write failed), from a thread of the backend's choice
  // (SQLite: its writer thread), so it must not block. `event` must stay valid until then.
  // Backends that queue writes answer records_asynchronously() true; the default is the
  // synchronous fallback: record(), then done, on the caller's thread.
  using RecordDone = std::function<void(Result<RecordOutcome>)>;
  virtual void record_async(const JobEvent& event, RecordDone done);
  virtual bool records_asynchronously() const { return false; }

  // Jobs with status == queued, oldest job id first, at most `limit`. With pool_labels,
  // only jobs whose labels are a subset of them (case-insensitive, as LabelSet is).
  virtual Result<std::vector<Job>> queued_jobs(const std::optional<LabelSet>& pool_labels,
                                               std::size_t limit) = 0;
  // The queue by label set: for each distinct set of runs-on labels among queued jobs,
  // how many there are and the oldest `per_group` of them (oldest job id first). What one
  // reconcile pass reads, so its cost follows what it can act on, not the backlog's length.
  // Backends with an index of their queue answer it without reading every queued job;
  // the default groups queued_jobs().
  virtual Result<std::vector<QueuedGroup>> queued_groups(std::size_t per_group);
  // kNotFound when the store does not know the job.
  virtual Result<Job> get_job(std::int64_t job_id) = 0;
  virtual Result<JobCounts> job_counts() = 0;
  virtual Result<std::vector<Job>> list_jobs(const JobFilter& filter) = 0;
  // A number that moves whenever an in-progress job is recorded, changed or leaves that
  // status, for a backend that knows it exactly (only this process writes it): a reader
  // may then keep its last list of running jobs while the number stays. nullopt = unknown
  // (other processes write the store too): read the list each time.
  virtual std::optional<std::uint64_t> running_version() { return std::nullopt; }
  // The distinct run ids (0 left out) of the jobs queued or in progress, ascending, at most
  // `limit`: what the sweep tells known runs by, without reading the jobs themselves (a
  // backlog of thousands would be copied every sweep). The default reads list_jobs().
  virtual Result<std::vector<std::int64_t>> active_run_ids(std::size_t limit);

  // --- instances ----------------------------------------------------------------------
  // Inserts or replaces by instance_id.
  virtual Status upsert_instance(const Instance& instance) = 0;
  // kNotFound when unknown.
  virtual Result<Instance> get_instance(std::string_view instance_id) = 0;
  // Instances of one pool (every pool when `pool` is empty), ordered by instance id.
  virtual Result<std::vector<Instance>> list_instances(std::string_view pool, bool include_terminated) = 0;
  // kNotFound when unknown.
  virtual Status update_instance_state(std::string_view instance_id, InstanceState state) = 0;

  // --- action log ---------------------------------------------------------------------
  // Appends and returns the id the store assigned (ids grow with every append).
  virtual Result<std::int64_t> append_action(const Action& action) = 0;
  // The newest `n` actions, newest first.
  virtual Result<std::vector<Action>> last_actions(std::size_t n) = 0;
  // The newest action of `kind` in `pool` (nullopt when none), for cooldown.
  virtual Result<std::optional<Action>> last_action(std::string_view pool, ActionKind kind) = 0;

  // --- settings (e.g. "settings_cooldown" = milliseconds, as the original system) ----
  virtual Result<std::optional<std::string>> get_setting(std::string_view name) = 0;
  virtual Status set_setting(std::string_view name, std::string_view value) = 0;

  // --- leases -------------------------------------------------------------------------
  // At most one holder at any time. Succeeds when the lease is free, expired at `now`, or
  // already held by `holder` (then it is extended). Otherwise kConflict naming the holder.
  // Callers pass `now` from their Clock so every process judges expiry the same way.
  virtual Result<Lease> acquire_lease(std::string_view name, std::string_view holder, Duration ttl,
                                      TimePoint now) = 0;
  // Extends a lease `holder` holds and that has not expired at `now`; else kConflict
  // (an expired lease must be acquired again, since someone else may have taken it).
  virtual Result<Lease> renew_lease(std::string_view name, std::string_view holder, Duration ttl,
                                    TimePoint now) = 0;
  // The lease as stored (nullopt when nobody ever took it), whoever holds it and whether
  // it has expired: who holds it is read here, never parsed out of a kConflict message.
  virtual Result<std::optional<Lease>> get_lease(std::string_view name) = 0;
  // Gives the lease up. Ok when `holder` held it or nobody holds it (idempotent);
  // kConflict when another holder has it.
  virtual Status release_lease(std::string_view name, std::string_view holder, TimePoint now) = 0;

  // --- retention ----------------------------------------------------------------------
  // Deletes completed jobs last updated before now - policy.completed_jobs_older_than
  // (and their delivery-id dedupe records), and actions older than
  // now - policy.actions_older_than. `now` comes from the store's Clock.
  virtual Result<PruneResult> prune(const RetentionPolicy& policy) = 0;

  // --- lifecycle ----------------------------------------------------------------------
  // Cheap readiness check: ok when the store can serve reads and writes.
  virtual Status ping() = 0;
  // Waits until every write accepted so far is durable. After close(), every call fails
  // with kPermanent; close() is idempotent and also run by the destructor.
  virtual Status flush() = 0;
  virtual Status close() = 0;
};

}  // namespace ghscale::store
