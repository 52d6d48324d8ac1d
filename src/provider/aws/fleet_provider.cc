#include "provider/aws/fleet_provider.h"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "aws/crypto.h"
#include "core/log.h"
#include "provider/aws/ec2_view.h"
#include "provider/aws/handed_over.h"
#include "provider/launch_memo.h"
#include "provider/aws/recent_launches.h"

namespace ghscale::provider {

namespace {

constexpr std::size_t kFilterValues = 200;      // values per DescribeInstances filter
constexpr std::size_t kTerminateBatch = 1000;   // TerminateInstances' limit

bool contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

ErrorKind capacity_kind(std::string_view code) {
  if (code == "RequestLimitExceeded" || code.find("Throttl") != std::string_view::npos) return ErrorKind::kThrottled;
  return ErrorKind::kConflict;
}

// One Error for a market's CreateFleet errors: the first code decides the kind.
std::optional<Error> market_error(const std::vector<aws::FleetError>& errors, std::string_view lifecycle,
                                  int shortfall, int asked) {
  std::string text;
  ErrorKind kind = ErrorKind::kConflict;
  for (const auto& e : errors) {
    if (e.lifecycle != lifecycle) continue;
    if (text.empty()) kind = capacity_kind(e.code);
    text += (text.empty() ? "" : "; ") + e.code + (e.instance_type.empty() ? "" : " (" + e.instance_type + ")") +
            (e.message.empty() ? "" : ": " + e.message);
  }
  if (shortfall <= 0 && text.empty()) return std::nullopt;
  if (text.empty()) text = "no error given";
  return make_error(kind, std::to_string(shortfall) + " of " + std::to_string(asked) + " not launched: " + text);
}

}  // namespace

struct FleetProvider::State {
  explicit State(FleetProviderOptions o)
      : options(std::move(o)), ec2(options.ec2), unseen(options.unseen_launch_window) {
    load_ledger();
  }

  const FleetProviderOptions options;
  aws::Ec2Client ec2;
  RecentLaunches unseen;  // launched here, not yet shown by DescribeInstances with tags
  HandedOver handed;      // registrations written, until their instance is seen gone

  std::mutex mu;  // guards what follows
  LaunchMemo launches;  // idempotency within the process

  std::mutex ledger_mu;  // guards what follows
  std::uint64_t kept = 0;  // unseen.changes() when the ledger was last written

  std::string ledger_key() const { return "aws_fleet:" + options.pool; }

  // What an earlier process launched and EC2 may still not list; read at start and before
  // each describe, so a daemon taking the lease over from another counts its launches too.
  void load_ledger() {
    if (!options.ledger) return;
    auto state = provider::load_ledger(*options.ledger, ledger_key(), options.pool, options.clock->now(),
                                       "an earlier process's launches count once EC2 lists them");
    if (!state) return;
    for (auto& e : state->unseen) unseen.restore(std::move(e.instance), e.deadline);
  }

  // The ledger follows `unseen` after each change; a failed write is tried at the next.
  void keep() {
    if (!options.ledger) return;
    std::lock_guard lock(ledger_mu);
    const std::uint64_t changes = unseen.changes();
    if (changes == kept) return;
    LedgerState state;
    for (auto& [c, deadline] : unseen.entries()) state.unseen.push_back({std::move(c), deadline});
    if (Status st = options.ledger->write(ledger_key(), encode_ledger(state)); !st.ok()) {
      log::warn("cannot write the launch ledger", {{"pool", options.pool}, {"error", st.error().describe()}});
      return;
    }
    kept = changes;
  }

  std::vector<aws::FleetOverride> overrides() const {
    std::vector<aws::FleetOverride> out;
    const auto& types = options.instance_types;
    const auto& subnets = options.subnets;
    if (types.empty()) {
      for (const auto& subnet : subnets) out.push_back({"", subnet});
    } else if (subnets.empty()) {
      for (const auto& type : types) out.push_back({type, ""});
    } else {
      for (const auto& type : types) {
        for (const auto& subnet : subnets) out.push_back({type, subnet});
      }
    }
    return out;
  }

  std::vector<aws::Tag> tags(const LaunchRequest& r) const {
    std::vector<aws::Tag> out{{std::string(kTagPool), options.pool},
                              {std::string(kTagManagedBy), "ghscale"},
                              {std::string(kTagDeployment), options.deployment}};
    if (!r.client_token.empty()) out.push_back({std::string(kTagLaunch), r.client_token});
    if (r.cause_job_id != 0) out.push_back({std::string(kTagJob), std::to_string(r.cause_job_id)});
    return out;
  }

  // Every instance of `ids` EC2 lists, in any state, tagged or not.
  Result<std::vector<aws::Ec2Instance>> by_id(const std::vector<std::string>& ids) {
    std::vector<aws::Ec2Instance> out;
    for (const auto& batch : ec2_view::chunks(ids, kFilterValues)) {
      auto found = ec2.describe_instances({{"instance-id", batch}});
      if (!found.ok()) return found.error();
      out.insert(out.end(), found->begin(), found->end());
    }
    return out;
  }

  void remember(const std::vector<std::string>& ids, Market market, const LaunchRequest& r, TimePoint now) {
    for (const auto& id : ids) {
      CloudInstance c;
      c.id = id;
      c.pool = options.pool;
      c.market = market;
      c.lifecycle = Lifecycle::kPending;
      c.launched_at = now;
      for (const auto& t : tags(r)) c.tags[t.key] = t.value;
      unseen.add(std::move(c), now);
    }
  }

  Status write(std::string_view instance_id, const Registration& registration) {
    Status st = options.hand_over->write(instance_id, registration);
    if (st.ok()) handed.add(instance_id);
    return st;
  }

  // Live instances of this pool among `ids`.
  Result<std::vector<aws::Ec2Instance>> live_of_pool(const std::vector<std::string>& ids) {
    std::vector<aws::Ec2Instance> out;
    for (const auto& batch : ec2_view::chunks(ids, kFilterValues)) {
      auto found = ec2.describe_instances({{"instance-id", batch},
                                           {"tag:" + std::string(kTagPool), {options.pool}},
                                           {"instance-state-name", ec2_view::kLiveStates}});
      if (!found.ok()) return found.error();
      out.insert(out.end(), found->begin(), found->end());
    }
    return out;
  }
};

FleetProvider::FleetProvider(FleetProviderOptions options) : state_(std::make_unique<State>(std::move(options))) {}
FleetProvider::~FleetProvider() = default;

std::string FleetProvider::fleet_token(std::string_view pool, std::string_view client_token, std::string_view purpose) {
  std::string material = std::string(pool) + "\n" + std::string(client_token) + "\n" + std::string(purpose);
  return "ghscale-" + aws::sha256_hex(material).substr(0, 48);
}

Result<std::vector<CloudInstance>> FleetProvider::describe(std::string_view pool) {
  State& s = *state_;
  if (pool != s.options.pool) return std::vector<CloudInstance>{};
  const std::set<std::string> handed_before = s.handed.snapshot();
  s.load_ledger();
  auto found = s.ec2.describe_instances(
      {{"tag:" + std::string(kTagPool), {s.options.pool}}, {"instance-state-name", ec2_view::kLiveStates}});
  if (!found.ok()) return found.error();
  auto answer = [&](std::vector<CloudInstance> out) {
    s.handed.remove_gone(handed_before, out, *s.options.hand_over);
    s.keep();
    return out;
  };
  std::vector<CloudInstance> out;
  out.reserve(found->size());
  std::set<std::string> listed;
  for (const auto& i : *found) {
    out.push_back(ec2_view::to_cloud(i, pool));
    listed.insert(i.instance_id);
    s.unseen.settle(i.instance_id);
  }

  // Launched here but missing from that answer: not listed yet, or listed without tags.
  std::vector<CloudInstance> missing;
  for (auto& c : s.unseen.awaited(s.options.clock->now())) {
    if (listed.count(c.id) == 0) missing.push_back(std::move(c));
  }
  if (missing.empty()) return answer(std::move(out));
  std::vector<std::string> ids;
  for (const auto& c : missing) ids.push_back(c.id);
  std::map<std::string, aws::Ec2Instance> shown;
  // A failed look leaves them as remembered: counting them as supply is the safe side.
  if (auto seen = s.by_id(ids); seen.ok()) {
    for (auto& i : *seen) shown.emplace(i.instance_id, std::move(i));
  }
  for (auto& c : missing) {
    auto it = shown.find(c.id);
    if (it == shown.end()) {
      out.push_back(std::move(c));
      continue;
    }
    if (it->second.state == "terminated" || it->second.state == "shutting-down") {
      s.unseen.settle(c.id);
      continue;
    }
    CloudInstance now_seen = ec2_view::to_cloud(it->second, pool);
    for (const auto& [k, v] : c.tags) now_seen.tags.emplace(k, v);  // its own are not applied yet
    out.push_back(std::move(now_seen));
  }
  return answer(std::move(out));
}

Result<LaunchOutcome> FleetProvider::launch(const LaunchRequest& request) {
  State& s = *state_;
  if (request.split.total() <= 0 || request.split.on_demand < 0 || request.split.spot < 0) {
    return make_error(ErrorKind::kInvalid, "launch: nothing to launch");
  }
  if (request.pool != s.options.pool) {
    return make_error(ErrorKind::kInvalid, "launch: this provider serves pool " + s.options.pool + ", not " + request.pool);
  }
  if (auto seen = s.launches.find(request.client_token)) return *seen;
  aws::CreateFleetRequest fleet;
  fleet.launch_template = s.options.launch_template;
  fleet.overrides = s.overrides();
  fleet.total_capacity = request.split.total();
  fleet.on_demand_capacity = request.split.on_demand;
  fleet.spot_allocation_strategy = s.options.spot_allocation_strategy;
  fleet.tags = s.tags(request);
  if (!request.client_token.empty()) fleet.client_token = fleet_token(s.options.pool, request.client_token);
  auto created = s.ec2.create_fleet(fleet);
  if (!created.ok()) return created.error();

  LaunchOutcome outcome;
  const std::set<std::string> spot(created->spot_instance_ids.begin(), created->spot_instance_ids.end());
  for (const auto& id : created->instance_ids) (spot.count(id) ? outcome.spot_ids : outcome.on_demand_ids).push_back(id);
  // Only what was placed in neither market is short: capacity placed in another market
  // than asked is no failure (the scaler reports that disagreement). The shortfall goes to
  // the market EC2's errors name first, then to the one that got less than it asked.
  const int got_spot = static_cast<int>(outcome.spot_ids.size());
  const int got_on_demand = static_cast<int>(outcome.on_demand_ids.size());
  int left = std::max(0, request.split.total() - got_spot - got_on_demand);
  int spot_short = 0, on_demand_short = 0;
  auto put_short = [&](int& market_short, int up_to) {
    const int n = std::min(left, std::max(0, up_to - market_short));
    market_short += n;
    left -= n;
  };
  auto named = [&](std::string_view lifecycle) {
    return std::any_of(created->errors.begin(), created->errors.end(),
                       [&](const aws::FleetError& e) { return e.lifecycle == lifecycle; });
  };
  if (named("spot")) put_short(spot_short, request.split.spot);
  if (named("on-demand")) put_short(on_demand_short, request.split.on_demand);
  put_short(spot_short, request.split.spot - got_spot);
  put_short(on_demand_short, request.split.on_demand - got_on_demand);
  outcome.spot_error = market_error(created->errors, "spot", spot_short, request.split.spot);
  outcome.on_demand_error = market_error(created->errors, "on-demand", on_demand_short, request.split.on_demand);

  // Spot capacity the market could not give: on-demand instead, for the configured codes.
  const bool fall_back = spot_short > 0 && std::any_of(created->errors.begin(), created->errors.end(), [&](const auto& e) {
                           return e.lifecycle == "spot" && contains(s.options.on_demand_fallback_errors, e.code);
                         });
  if (fall_back) {
    aws::CreateFleetRequest od = fleet;
    od.total_capacity = spot_short;
    od.on_demand_capacity = spot_short;
    if (!request.client_token.empty()) od.client_token = fleet_token(s.options.pool, request.client_token, "on-demand-fallback");
    auto again = s.ec2.create_fleet(od);
    std::string how;
    if (again.ok()) {
      int got = 0;
      for (const auto& id : again->instance_ids) {
        outcome.on_demand_ids.push_back(id);
        ++got;
      }
      how = std::to_string(got) + " of them launched on-demand instead";
      if (got < spot_short) {
        auto err = market_error(again->errors, "on-demand", spot_short - got, spot_short);
        if (err) {
          err->message = "on-demand fall-back: " + err->message;
          if (!outcome.on_demand_error) outcome.on_demand_error = std::move(err);
        }
      }
    } else {
      how = "on-demand fall-back failed: " + again.error().describe();
    }
    if (outcome.spot_error) outcome.spot_error->message += "; " + how;
  }
  const TimePoint now = s.options.clock->now();
  s.remember(outcome.on_demand_ids, Market::kOnDemand, request, now);
  s.remember(outcome.spot_ids, Market::kSpot, request, now);
  s.keep();
  s.launches.remember(request.client_token, outcome);
  return outcome;
}

Status FleetProvider::terminate(const std::vector<std::string>& ids) {
  State& s = *state_;
  if (ids.empty()) return ok_status();
  auto live = s.live_of_pool(ids);
  if (!live.ok()) return live.error();
  std::vector<std::string> ending;
  std::set<std::string> shown;
  for (const auto& i : *live) {
    shown.insert(i.instance_id);
    if (i.state != "shutting-down") ending.push_back(i.instance_id);
  }
  for (const auto& batch : ec2_view::chunks(ending, kTerminateBatch)) {
    auto changes = s.ec2.terminate_instances(batch);
    if (!changes.ok()) return changes.error();
  }
  for (const auto& id : shown) s.unseen.settle(id);
  // Launched here but not shown with this pool's tag yet: ours by CreateFleet's answer.
  // One call each, so an id EC2 does not know yet fails alone.
  const TimePoint now = s.options.clock->now();
  for (const auto& id : ids) {
    if (shown.count(id) != 0 || !s.unseen.find(id, now)) continue;
    auto changes = s.ec2.terminate_instances({id});
    if (!changes.ok()) {
      if (changes.error().kind != ErrorKind::kNotFound) return changes.error();
      return make_error(ErrorKind::kRetryable, "terminate: instance " + id +
                                                   " was launched here but EC2 does not know it yet; try again");
    }
    s.unseen.settle(id);
  }
  for (const auto& id : ids) {
    if (Status st = s.options.hand_over->remove(id); !st.ok()) {
      log::warn("cannot delete the registration parameter of a terminated instance",
                {{"instance", id}, {"error", st.error().describe()}});
      continue;  // describe() tries again once it sees the instance gone
    }
    s.handed.forget(id);
  }
  return ok_status();
}

Status FleetProvider::protect(const std::vector<std::string>&, bool) { return ok_status(); }

Status FleetProvider::hand_over(std::string_view instance_id, const Registration& registration) {
  State& s = *state_;
  auto live = s.live_of_pool({std::string(instance_id)});
  if (!live.ok()) return live.error();
  const bool found = std::any_of(live->begin(), live->end(), [](const aws::Ec2Instance& i) {
    return i.state == "pending" || i.state == "running";
  });
  if (found) return s.write(instance_id, registration);
  const std::string id(instance_id);
  if (!live->empty() || !s.unseen.find(id, s.options.clock->now())) {
    return make_error(ErrorKind::kNotFound, "hand_over: no live instance " + id + " in pool " + s.options.pool);
  }
  // Launched here, so ours whatever EC2 lists yet: CreateFleet's answer is the proof. Only
  // EC2 listing it gone stops the hand-over; one it does not list yet gets its registration
  // now (its bootstrap polls for it). Waiting for EC2 to catch up would hold the scaler's
  // pass, one instance after another, while deliveries wait.
  auto seen = s.by_id({id});
  if (!seen.ok()) return seen.error();
  if (!seen->empty()) {
    const std::string& state = seen->front().state;
    if (state != "pending" && state != "running") {
      s.unseen.settle(id);
      return make_error(ErrorKind::kNotFound, "hand_over: instance " + id + " is " + state);
    }
  }
  return s.write(instance_id, registration);
}

}  // namespace ghscale::provider
