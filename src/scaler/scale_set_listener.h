// The demand signal of a `demand: scale_set` pool: keeps the pool's runner scale set at
// GitHub's Actions service (name, labels, runner group), holds its one message session
// while this process holds the scaler lease, long-polls it, and records every job event
// as the webhook path would (queued, in_progress with the runner, completed) before
// acknowledging the message, then wakes the reconciler. The reconciler stays unchanged:
// its demand is the store's jobs, whichever way they came.
//
// One session per scale set at a time. A session a daemon of this store opened is named
// in the store (setting "scaleset_session:POOL"); the lease holder deletes such a stale
// one (a SIGKILLed holder's) and takes over at once. A session of an unknown owner is
// waited out with bounded backoff. stop() ends a held poll by deleting the session, and
// does not wait for a poll that will not end beyond a short bound.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/job.h"
#include "github/scaleset/client.h"
#include "github/types.h"
#include "store/store.h"
#include "webhook/event_sink.h"

namespace ghscale::scaler {

using namespace std::chrono_literals;

struct ScaleSetListenerOptions {
  config::PoolConfig pool;  // demand == kScaleSet
  std::shared_ptr<scaleset::Client> client;
  std::shared_ptr<store::Store> store;
  std::string holder;  // the session's owner name: this process's lease identity
  std::shared_ptr<Clock> clock;
  Duration lease_check = 500ms;     // how often a process without the lease looks again
  Duration backoff_base = 1s;       // after a failure or a conflict, doubling...
  Duration backoff_cap = 30s;       // ...up to this
  Duration stop_bound = 3s;         // stop() waits at most this for the poll to end
  Duration statistics_check = 10s;  // the store's count is compared at most this often
};

// The job id a scale-set assignment is stored under. One request can be assigned more
// than once (a runner that does not take it in time: canceled, then assigned again), and
// the store's jobs only move forward, so each assignment (request id, assignment time)
// is a job of its own. In [2^52, 2^53): clear of GitHub's REST job ids and exact in JSON.
std::int64_t scale_set_job_id(std::int64_t runner_request_id, std::optional<TimePoint> scale_set_assign_time);

// The JobEvent a message's job event is recorded as (nullopt for kinds not acted on).
std::optional<JobEvent> to_job_event(const scaleset::JobEvent& event, const config::PoolConfig& pool, TimePoint now);

struct ScaleSetListenerCounts {
  std::int64_t messages = 0;  // acknowledged
  std::int64_t events = 0;    // recorded (duplicates included)
  std::int64_t sessions_opened = 0;
  std::int64_t conflicts = 0;  // session held by another owner when opening
  std::int64_t takeovers = 0;  // stale sessions of this store's daemons deleted
  std::int64_t failures = 0;   // polls, acknowledgements or writes that failed
};

class ScaleSetListener {
 public:
  explicit ScaleSetListener(ScaleSetListenerOptions options);
  ~ScaleSetListener();  // stops

  // Starts the thread. holds_lease: whether this process may act now; waker: told of
  // every recorded job event, as a webhook delivery tells it.
  void start(std::function<bool()> holds_lease, std::shared_ptr<webhook::Waker> waker);
  // Stops polling at once (a held poll is ended by deleting the session) and deletes the
  // session so another daemon may open one. Bounded by stop_bound. Idempotent.
  void stop();

  // A scale-set JIT config for a runner of this pool (the scale set is ensured first when
  // not known yet), as GitHub's REST generate-jitconfig answers: the reconciler's hand-over.
  Result<github::JitConfig> jit_config(const std::string& runner_name);

  const config::PoolConfig& pool() const;
  std::int64_t scale_set_id() const;  // 0 until ensured
  bool has_session() const;
  ScaleSetListenerCounts counts() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;  // shared with the thread, which may outlive stop()'s bound
};

// The listeners' counts in Prometheus text format (ghscale_scale_set_*{pool=...}), for /metrics.
void append_scale_set_metrics(const std::vector<std::shared_ptr<ScaleSetListener>>& listeners, std::string& out);

}  // namespace ghscale::scaler
