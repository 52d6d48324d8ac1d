#include "provider/aws/asg_provider.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "aws/services/autoscaling.h"
#include "aws/services/ec2.h"
#include "core/log.h"
#include "provider/aws/ec2_view.h"
#include "provider/aws/handed_over.h"
#include "provider/launch_memo.h"
#include "provider/aws/recent_launches.h"

namespace ghscale::provider {

namespace {

constexpr std::size_t kProtectBatch = 50;      // SetInstanceProtection's limit

// Where an Auto Scaling lifecycle state puts an instance; nullopt for states that do not
// count towards desired capacity any more (terminating, detached, standby, warm pool).
std::optional<Lifecycle> asg_lifecycle(std::string_view state) {
  if (state == "InService") return Lifecycle::kRunning;
  if (state.rfind("Pending", 0) == 0) return Lifecycle::kPending;
  if (state == "Terminated") return Lifecycle::kTerminated;
  return std::nullopt;
}

bool counts_towards_desired(const aws::AsgInstance& i) { return asg_lifecycle(i.lifecycle_state).has_value() && i.lifecycle_state != "Terminated"; }

}  // namespace

struct AsgProvider::State {
  explicit State(AsgProviderOptions o)
      : options(std::move(o)), asg(options.autoscaling), ec2(options.ec2), own(options.unseen_launch_window) {
    load_ledger();
  }

  const AsgProviderOptions options;
  aws::AutoScalingClient asg;
  aws::Ec2Client ec2;

  std::mutex change_mu;  // serializes launch and terminate (they read, then change, desired)
  std::mutex mu;         // guards what follows
  LaunchMemo launches;  // idempotency within the process
  std::map<std::string, TimePoint> first_seen;  // instances and placeholders without a launch time
  // The desired capacity last set here, while the group may still answer an older one.
  struct Asked {
    int desired = 0;
    TimePoint until;
  };
  std::optional<Asked> asked;
  std::uint64_t asked_changes = 0;
  RecentLaunches own;  // instances launch() reported, for hand_over() while EC2 lags
  HandedOver handed;   // registrations written, until their instance is seen gone

  std::mutex ledger_mu;    // guards what follows
  std::uint64_t kept = 0;  // own.changes() + asked_changes when the ledger was last written

  std::string ledger_key() const { return "aws_asg:" + options.pool; }

  // What an earlier process asked of the group and launched, while the group may still
  // answer as it was before; read at start and before each describe, so a daemon taking
  // the lease over from another starts from what that one asked.
  void load_ledger() {
    if (!options.ledger) return;
    auto state = provider::load_ledger(*options.ledger, ledger_key(), options.pool, options.clock->now(),
                                       "the group's own answer is taken as it is");
    if (!state) return;
    for (auto& e : state->unseen) own.restore(std::move(e.instance), e.deadline);
    std::lock_guard lock(mu);
    if (!asked && state->asked) asked = Asked{state->asked->first, state->asked->second};
  }

  // The ledger follows `asked` and `own` after each change; a failed write is tried at the next.
  void keep() {
    if (!options.ledger) return;
    std::lock_guard keeping(ledger_mu);
    LedgerState state;
    std::uint64_t changes = own.changes();
    {
      std::lock_guard lock(mu);
      changes += asked_changes;
      if (asked) state.asked = std::make_pair(asked->desired, asked->until);
    }
    if (changes == kept) return;
    for (auto& [c, deadline] : own.entries()) state.unseen.push_back({std::move(c), deadline});
    if (Status st = options.ledger->write(ledger_key(), encode_ledger(state)); !st.ok()) {
      log::warn("cannot write the launch ledger", {{"pool", options.pool}, {"error", st.error().describe()}});
      return;
    }
    kept = changes;
  }

  Status write(std::string_view instance_id, const Registration& registration) {
    Status st = options.hand_over->write(instance_id, registration);
    if (st.ok()) handed.add(instance_id);
    return st;
  }

  // The group's desired capacity, or what was set here if the group does not show it yet.
  int effective_desired(const aws::AutoScalingGroup& g, TimePoint now) {
    std::lock_guard lock(mu);
    if (!asked) return g.desired_capacity;
    if (now >= asked->until || g.desired_capacity >= asked->desired) {
      asked.reset();  // caught up (or given up on): the group's answer is the truth again
      ++asked_changes;
      return g.desired_capacity;
    }
    return asked->desired;
  }
  void set_asked(int desired, TimePoint now) {
    std::lock_guard lock(mu);
    asked = Asked{desired, now + options.unseen_launch_window};
    ++asked_changes;
  }
  // Capacity taken away here (a decrementing termination, a withdrawn placeholder).
  void lower_asked(int by) {
    std::lock_guard lock(mu);
    if (asked) {
      asked->desired -= by;
      ++asked_changes;
    }
  }

  Result<aws::AutoScalingGroup> group() {
    auto groups = asg.describe_auto_scaling_groups({options.group});
    if (!groups.ok()) return groups.error();
    for (auto& g : *groups) {
      if (g.name == options.group) return std::move(g);
    }
    return make_error(ErrorKind::kNotFound, "Auto Scaling group " + options.group + " does not exist");
  }

  std::string placeholder_id(int n) const { return std::string(kPlaceholderPrefix) + options.group + "-" + std::to_string(n); }

  // Instances the group counts towards its desired capacity.
  static std::vector<std::string> counted(const aws::AutoScalingGroup& g) {
    std::vector<std::string> ids;
    for (const auto& i : g.instances) {
      if (counts_towards_desired(i)) ids.push_back(i.instance_id);
    }
    return ids;
  }

  TimePoint seen(const std::string& id, TimePoint now) {
    std::lock_guard lock(mu);
    return first_seen.try_emplace(id, now).first->second;
  }
};

AsgProvider::AsgProvider(AsgProviderOptions options) : state_(std::make_unique<State>(std::move(options))) {}
AsgProvider::~AsgProvider() = default;

Result<std::vector<CloudInstance>> AsgProvider::describe(std::string_view pool) {
  State& s = *state_;
  if (pool != s.options.pool) return std::vector<CloudInstance>{};
  const std::set<std::string> handed_before = s.handed.snapshot();
  s.load_ledger();
  auto g = s.group();
  if (!g.ok()) return g.error();
  auto described = s.ec2.describe_instances(
      {{"tag:aws:autoscaling:groupName", {s.options.group}}, {"instance-state-name", ec2_view::kLiveStates}});
  if (!described.ok()) return described.error();
  std::map<std::string, const aws::Ec2Instance*> by_id;
  for (const auto& i : *described) by_id.emplace(i.instance_id, &i);

  const TimePoint now = s.options.clock->now();
  std::vector<CloudInstance> out;
  std::set<std::string> listed;
  for (const auto& i : g->instances) {
    auto lifecycle = asg_lifecycle(i.lifecycle_state);
    if (lifecycle == Lifecycle::kTerminated) continue;
    CloudInstance c;
    auto e = by_id.find(i.instance_id);
    if (e != by_id.end()) {
      c = ec2_view::to_cloud(*e->second, pool);
    } else {
      // Not yet visible to DescribeInstances (eventual consistency): what the group says.
      c.id = i.instance_id;
      c.pool = std::string(pool);
      c.lifecycle = Lifecycle::kPending;
      c.launched_at = s.seen(i.instance_id, now);
    }
    c.instance_type = i.instance_type.empty() ? c.instance_type : i.instance_type;
    // The later of the two views wins: the group's (terminating, standby) or EC2's.
    if (!lifecycle || c.lifecycle == Lifecycle::kStopping || c.lifecycle == Lifecycle::kTerminated) {
      c.lifecycle = Lifecycle::kStopping;
    } else if (*lifecycle == Lifecycle::kPending) {
      c.lifecycle = Lifecycle::kPending;
    }
    c.scale_in_protected = i.protected_from_scale_in;
    listed.insert(c.id);
    out.push_back(std::move(c));
  }

  // The gap between what the group wants and what it lists: capacity on its way.
  const int gap = s.effective_desired(*g, now) - static_cast<int>(State::counted(*g).size());
  for (int n = 1; n <= gap; ++n) {
    CloudInstance c;
    c.id = s.placeholder_id(n);
    c.placeholder = true;
    c.pool = std::string(pool);
    c.lifecycle = Lifecycle::kPending;
    c.launched_at = s.seen(c.id, now);
    c.tags.emplace(std::string(kTagPool), std::string(pool));
    listed.insert(c.id);
    out.push_back(std::move(c));
  }
  {
    std::lock_guard lock(s.mu);
    std::erase_if(s.first_seen, [&](const auto& kv) { return listed.count(kv.first) == 0; });
  }
  s.handed.remove_gone(handed_before, out, *s.options.hand_over);
  s.keep();
  return out;
}

Result<LaunchOutcome> AsgProvider::launch(const LaunchRequest& request) {
  State& s = *state_;
  if (request.split.total() <= 0 || request.split.on_demand < 0 || request.split.spot < 0) {
    return make_error(ErrorKind::kInvalid, "launch: nothing to launch");
  }
  if (request.pool != s.options.pool) {
    return make_error(ErrorKind::kInvalid, "launch: this provider serves pool " + s.options.pool + ", not " + request.pool);
  }
  std::lock_guard change(s.change_mu);
  if (auto seen = s.launches.find(request.client_token)) return *seen;
  auto g = s.group();
  if (!g.ok()) return g.error();
  const int asked = request.split.total();
  // From a stale read, desired + asked could be below what the group already has: the
  // group would then terminate instances of its choosing.
  const int current = s.effective_desired(*g, s.options.clock->now());
  const int target = std::min({current + asked, g->max_size, s.options.max_runners});
  const int granted = std::max(0, target - current);

  LaunchOutcome outcome;
  // The group decides markets; a shortfall is reported against spot first (the market
  // above the base), on-demand only when nothing spot was asked.
  auto shortfall = [&](Error e) {
    (request.split.spot > 0 ? outcome.spot_error : outcome.on_demand_error) = std::move(e);
  };
  if (granted < asked) {
    shortfall(make_error(ErrorKind::kConflict,
                         "group " + s.options.group + " at its limit (desired " + std::to_string(current) +
                             ", max " + std::to_string(g->max_size) + ", pool max_runners " +
                             std::to_string(s.options.max_runners) + "): " + std::to_string(asked - granted) + " of " +
                             std::to_string(asked) + " not asked"));
  }
  if (granted > 0) {
    const std::vector<std::string> before_list = State::counted(*g);
    const std::set<std::string> before(before_list.begin(), before_list.end());
    if (Status st = s.asg.set_desired_capacity(s.options.group, target, /*honor_cooldown=*/false); !st.ok()) {
      return st.error();
    }
    s.set_asked(target, s.options.clock->now());
    s.keep();  // before waiting for placement: a process ending now must not ask again
    // The group lists new instances a few seconds after the change; wait a little so the
    // scaler can hand them their registrations in this pass. What is not listed in time
    // shows as placeholders in describe() and gets its registration when it appears.
    std::vector<std::string> fresh;
    const int polls = static_cast<int>(s.options.placement_wait / std::max(Duration(1), s.options.placement_poll));
    for (int poll = 0;; ++poll) {
      auto now_group = s.group();
      if (now_group.ok()) {
        fresh.clear();
        for (const auto& id : State::counted(*now_group)) {
          if (before.count(id) == 0) fresh.push_back(id);
        }
      }
      if (static_cast<int>(fresh.size()) >= granted || poll >= polls) break;
      s.options.sleeper(s.options.placement_poll);
    }
    if (static_cast<int>(fresh.size()) > granted) fresh.resize(static_cast<std::size_t>(granted));
    std::map<std::string, Market> markets;
    if (!fresh.empty()) {
      auto described = s.ec2.describe_instances({{"instance-id", fresh}});
      if (described.ok()) {
        for (const auto& i : *described) markets[i.instance_id] = ec2_view::market_of(i);
      }
    }
    int on_demand_left = request.split.on_demand;
    const TimePoint now = s.options.clock->now();
    for (const auto& id : fresh) {
      auto m = markets.find(id);
      // Not visible to EC2 yet: assume the group followed its policy (base first).
      const Market market = m != markets.end() ? m->second : (on_demand_left > 0 ? Market::kOnDemand : Market::kSpot);
      if (market == Market::kOnDemand) --on_demand_left;
      (market == Market::kOnDemand ? outcome.on_demand_ids : outcome.spot_ids).push_back(id);
      CloudInstance c;
      c.id = id;
      c.pool = s.options.pool;
      c.market = market;
      c.launched_at = now;
      s.own.add(std::move(c), now);
    }
    const int unplaced = granted - static_cast<int>(fresh.size());
    if (unplaced > 0 && !outcome.spot_error && !outcome.on_demand_error) {
      shortfall(make_error(ErrorKind::kRetryable,
                           std::to_string(unplaced) + " of " + std::to_string(granted) + " asked of group " +
                               s.options.group + " not listed yet; counted as pending until they are"));
    }
  }
  s.launches.remember(request.client_token, outcome);
  s.keep();
  return outcome;
}

Status AsgProvider::terminate(const std::vector<std::string>& ids) {
  State& s = *state_;
  if (ids.empty()) return ok_status();
  std::lock_guard change(s.change_mu);
  auto g = s.group();
  if (!g.ok()) return g.error();
  std::set<std::string> members;
  for (const auto& i : g->instances) {
    if (counts_towards_desired(i)) members.insert(i.instance_id);
  }
  std::optional<Error> first_error;
  int placeholders = 0;
  std::vector<std::string> terminated;
  const TimePoint now = s.options.clock->now();
  const int desired_now = s.effective_desired(*g, now);
  const int gap = desired_now - static_cast<int>(members.size());
  for (const auto& id : ids) {
    if (is_placeholder(id)) {
      // Placeholder n stands for the n-th missing instance: it exists while n <= gap.
      for (int n = 1; n <= gap; ++n) placeholders += id == s.placeholder_id(n) ? 1 : 0;
      continue;
    }
    // Gone, terminating, or never ours: nothing to do; unless launch() reported it and a
    // lagging group does not list it yet.
    if (members.count(id) == 0 && !s.own.find(id, now)) continue;
    auto activity = s.asg.terminate_instance(id, /*decrement_desired_capacity=*/true);
    if (!activity.ok()) {
      if (!first_error) first_error = activity.error();
      continue;
    }
    terminated.push_back(id);
    s.own.settle(id);
    s.lower_asked(1);
  }
  if (placeholders > 0) {
    const int withdraw = std::min(placeholders, std::max(0, gap));
    const int desired = std::max(g->min_size, desired_now - static_cast<int>(terminated.size()) - withdraw);
    const int current = desired_now - static_cast<int>(terminated.size());
    if (withdraw > 0 && desired < current) {
      if (Status st = s.asg.set_desired_capacity(s.options.group, desired, false); !st.ok()) {
        if (!first_error) first_error = st.error();
      } else {
        s.lower_asked(current - desired);
      }
    }
  }
  for (const auto& id : ids) {
    if (is_placeholder(id)) continue;
    if (Status st = s.options.hand_over->remove(id); !st.ok()) {
      log::warn("cannot delete the registration parameter of a terminated instance",
                {{"instance", id}, {"error", st.error().describe()}});
      continue;  // describe() tries again once it sees the instance gone
    }
    s.handed.forget(id);
  }
  s.keep();
  if (first_error) return *first_error;
  return ok_status();
}

Status AsgProvider::protect(const std::vector<std::string>& ids, bool enabled) {
  State& s = *state_;
  std::vector<std::string> real;
  for (const auto& id : ids) {
    if (!is_placeholder(id)) real.push_back(id);
  }
  if (real.empty()) return ok_status();
  auto g = s.group();
  if (!g.ok()) return g.error();
  std::set<std::string> members;
  for (const auto& i : g->instances) {
    if (counts_towards_desired(i)) members.insert(i.instance_id);
  }
  std::erase_if(real, [&](const std::string& id) { return members.count(id) == 0; });
  for (const auto& batch : ec2_view::chunks(real, kProtectBatch)) {
    if (Status st = s.asg.set_instance_protection(s.options.group, batch, enabled); !st.ok()) return st;
  }
  return ok_status();
}

Status AsgProvider::hand_over(std::string_view instance_id, const Registration& registration) {
  State& s = *state_;
  if (is_placeholder(instance_id)) {
    return make_error(ErrorKind::kRetryable, "hand_over: " + std::string(instance_id) +
                                                 " is capacity the group has not placed yet; its instance gets a "
                                                 "registration once listed");
  }
  auto found = s.ec2.describe_instances({{"instance-id", {std::string(instance_id)}},
                                         {"tag:aws:autoscaling:groupName", {s.options.group}},
                                         {"instance-state-name", {"pending", "running"}}});
  if (!found.ok()) return found.error();
  if (!found->empty()) return s.write(instance_id, registration);

  // Not shown with the group's tag: EC2 may not list it (or its tags) yet. Ours if the
  // group lists it or launch() reported it.
  const std::string id(instance_id);
  bool ours = s.own.find(id, s.options.clock->now()).has_value();
  if (!ours) {
    auto g = s.group();
    if (!g.ok()) return g.error();
    ours = std::any_of(g->instances.begin(), g->instances.end(),
                       [&](const aws::AsgInstance& i) { return i.instance_id == id && counts_towards_desired(i); });
  }
  if (!ours) {
    return make_error(ErrorKind::kNotFound, "hand_over: no live instance " + id + " in group " + s.options.group);
  }
  // Only EC2 listing it gone stops the hand-over; one it does not list yet gets its
  // registration now (its bootstrap polls for it). Waiting for EC2 to catch up would hold
  // the scaler's pass, one instance after another, while deliveries wait.
  auto seen = s.ec2.describe_instances({{"instance-id", {id}}});
  if (!seen.ok()) return seen.error();
  if (!seen->empty()) {
    const std::string& state = seen->front().state;
    if (state != "pending" && state != "running") {
      s.own.settle(id);
      return make_error(ErrorKind::kNotFound, "hand_over: instance " + id + " is " + state);
    }
  }
  return s.write(instance_id, registration);
}

}  // namespace ghscale::provider
