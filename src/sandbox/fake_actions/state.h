// The fake Actions service's state and the helpers its handlers share. Private to the fake.
#pragma once

#include <boost/json.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sandbox/fake_actions/fake_actions.h"

namespace ghscale::fake_actions {
namespace json = boost::json;

// Completed jobs stay observable (FakeActions::job) up to this many, oldest forgotten first.
inline constexpr std::size_t kMaxCompletedKept = 100000;
inline constexpr std::size_t kMaxDeliveriesRecorded = 100000;

enum class EventKind { kAssigned, kStarted, kCompleted };

// What runs-on asked for: the spec's labels, or the scale set's name alone.
inline std::vector<std::string> requested_labels(const FakeJobSpec& spec) {
  return spec.labels.empty() ? std::vector<std::string>{spec.scale_set_name} : spec.labels;
}

struct FakeActions::State {
  struct Runner {
    std::int64_t id = 0;
    std::string name;
    std::int64_t scale_set_id = 0;
    std::string jit_config;
    bool online = false;
    bool busy = false;
    std::int64_t job = 0;  // offered or running
  };
  struct Job {
    FakeJob job;
    TimePoint queue_time{};
    std::optional<TimePoint> scale_set_assign_time;
    std::optional<TimePoint> runner_assign_time;
    std::optional<TimePoint> finish_time;
    std::string runner_name;  // of the runner that started it
  };
  struct Message {
    std::int64_t id = 0;
    std::string body;  // the JSON array of job events, as the wire carries it in a string
    std::size_t events = 0;
    std::optional<TimePoint> delivered_at;
  };
  struct Session {
    std::string id;
    std::string owner;
    std::string token;
    bool token_valid = true;
  };
  struct ScaleSet {
    std::int64_t id = 0;
    std::string name;
    std::int64_t group_id = 1;
    std::vector<std::string> labels;
    bool disable_update = false;
    TimePoint created{};
    std::optional<int> max_capacity;
    std::deque<json::object> pending;  // job events not yet in a message
    std::map<std::int64_t, Message> unacked;
    std::optional<Session> session;
  };

  FakeActionsOptions options;
  std::function<bool(std::string_view)> registration_check;
  std::shared_ptr<fake_github::FakeGitHub> mirror;  // set once, before runners and jobs exist
  std::string mirror_scope;
  // The mirror's workflow runs not completed yet, by (repository, the specs' run id): the
  // REST run id and its jobs' request ids.
  struct RestRun {
    std::int64_t id = 0;
    std::vector<std::int64_t> jobs;
  };
  std::map<std::pair<std::string, std::int64_t>, RestRun> rest_runs;

  mutable std::mutex mu;
  std::condition_variable news;  // a job event was queued somewhere, or the fake is closing
  bool closing = false;          // long polls end at once
  std::string public_url = "http://127.0.0.1/tenant/1/";
  std::int64_t next_id = 0;
  std::int64_t next_message_id = 0;
  std::map<std::int64_t, std::string> groups{{1, "Default"}};  // id -> name; 1 is the default
  std::map<std::int64_t, ScaleSet> scale_sets;
  std::map<std::int64_t, Job> jobs;    // by runner request id, in queue order
  std::set<std::int64_t> active;       // jobs not completed
  std::deque<std::int64_t> completed;  // completed jobs still kept, oldest first
  std::map<std::int64_t, Runner> runners;
  std::map<std::string, TimePoint> admin_tokens;  // token -> expiry; erased when expired by fault
  std::vector<FakeFault> faults;
  std::map<std::string, std::int64_t, std::less<>> route_counts;
  std::int64_t request_count = 0;
  std::vector<std::size_t> delivered_sizes;
  std::mt19937_64 rng{20260612};

  TimePoint now() const { return options.clock->now(); }
  std::string random_hex(std::size_t n);
  std::string new_uuid();
  std::string new_admin_token();

  // What time and the latest capacity change: take timeouts, then assignments to scale
  // sets and offers to idle runners.
  void settle_locked();
  void emit(EventKind kind, const Job& job, const Runner* runner, std::string_view result = {});
  FakeStatistics statistics_locked(std::int64_t scale_set_id) const;
  FakeScaleSetInfo info_locked(const ScaleSet& s) const;
  void remove_scale_set_locked(std::int64_t id);
  // A job completed: no longer active, kept for observation within kMaxCompletedKept.
  void retire_locked(std::int64_t request_id);
  // The runner is deregistered: an offered job goes back to its scale set, a running one
  // ends "failed".
  void remove_runner_locked(std::int64_t runner_id);
  // The same without settling (settle_locked uses it for runners the mirror removed).
  void drop_runner_locked(std::int64_t runner_id);
  // The id of a new runner: the mirror's, when runners are mirrored.
  std::int64_t new_runner_id_locked(const std::string& name, const ScaleSet& s, const std::string& jit_config);
  // The REST copy of a job (mirror.cc): created when it is enqueued, then kept in step
  // with it after every change GitHub's REST API would show (started, completed, queued
  // again), its run's status with it. No-ops without a mirror.
  void mirror_new_job_locked(Job& job);
  void mirror_job_locked(const Job& job);
  ScaleSet* scale_set_named_locked(std::string_view name);
  void offer_locked();
  json::object scale_set_json(const ScaleSet& s) const;
  json::object statistics_json(std::int64_t scale_set_id) const;
};

}  // namespace ghscale::fake_actions
