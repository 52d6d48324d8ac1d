// The act phase of a pass: a plan's steps carried out in order against the provider,
// GitHub and the store, each written to the action log with its reason and result. A step
// kind has its method; act() runs them while the lease holds, then the batched calls
// (protection) and the scale-in entry that starts the cooldown.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/log.h"
#include "scaler/pool_state.h"
#include "scaler/reconciler.h"

namespace ghscale::scaler {

std::string client_token(const std::string& pool, std::int64_t last_scale_out_id, const Step& step) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(pool);
  mix(std::to_string(last_scale_out_id));
  mix(std::to_string(step.split.on_demand) + "/" + std::to_string(step.split.spot));
  for (auto id : step.job_ids) mix(std::to_string(id));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  // EC2 client tokens are at most 64 ASCII characters.
  return ("gh-" + pool).substr(0, 40) + "-" + hex;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

void Reconciler::act(PoolState& ps, const Plan& p, std::int64_t last_scale_out_id, TimePoint now, PassReport& report,
                      PoolPassReport& pool_report) {
  const config::PoolConfig& pool = ps.config;
  std::vector<std::string> protect_on, protect_off;
  int deregistered = 0;
  std::string scale_in_reason;
  for (const Step& s : p.steps) {
    if (!still_holding()) {
      log::warn("scaler lease lost; stopping before the next action", {{"pool", pool.name}});
      return;
    }
    switch (s.kind) {
      case StepKind::kLaunch:
        act_launch(ps, s, last_scale_out_id, now, report, pool_report);
        break;
      case StepKind::kRegister:
      case StepKind::kReuse:
        if (!register_instance(ps, s.instance_id, s.runner_name, s.reason, report)) ++pool_report.pending_registrations;
        break;
      case StepKind::kDeregister:
        if (act_deregister(ps, s, report, pool_report)) {
          ++deregistered;
          if (scale_in_reason.empty()) scale_in_reason = s.reason;
        }
        break;
      case StepKind::kTerminate:
        act_terminate(ps, s, report, pool_report);
        break;
      case StepKind::kDeleteRunner:
        act_delete_runner(ps, s, report);
        break;
      case StepKind::kProtect:
        protect_on.push_back(s.instance_id);
        break;
      case StepKind::kUnprotect:
        protect_off.push_back(s.instance_id);
        break;
    }
  }
  if (deregistered > 0) {
    log_action(pool.name, ActionKind::kScaleIn, deregistered, scale_in_reason, "ok", report);
    pool_report.action = PoolAction::kScaleIn;
  }
  for (auto [ids, on] : {std::pair{&protect_on, true}, std::pair{&protect_off, false}}) {
    if (ids->empty()) continue;
    Status st = ps.provider->protect(*ids, on);
    if (!st.ok()) ++report.errors;
    log_action(pool.name, on ? ActionKind::kProtect : ActionKind::kUnprotect, static_cast<std::int64_t>(ids->size()),
               (on ? "busy: " : "no longer busy: ") + join_ids(*ids), st.ok() ? "ok" : st.error().describe(), report);
  }
}

void Reconciler::act_launch(PoolState& ps, const Step& s, std::int64_t last_scale_out_id, TimePoint now, PassReport& report,
                            PoolPassReport& pool_report) {
  const config::PoolConfig& pool = ps.config;
  provider::LaunchRequest req;
  req.pool = pool.name;
  req.split = s.split;
  req.client_token = client_token(pool.name, last_scale_out_id, s);
  req.cause_job_id = s.job_ids.empty() ? 0 : s.job_ids.front();
  auto out = ps.provider->launch(req);
  std::vector<std::pair<std::string, Market>> ids;
  std::string result;
  if (!out.ok()) {
    result = out.error().describe();
    metrics_->launched(Market::kOnDemand, false, s.split.on_demand);
    metrics_->launched(Market::kSpot, false, s.split.spot);
    ++report.errors;
  } else {
    for (const auto& id : out->on_demand_ids) ids.emplace_back(id, Market::kOnDemand);
    for (const auto& id : out->spot_ids) ids.emplace_back(id, Market::kSpot);
    const int got_on_demand = static_cast<int>(out->on_demand_ids.size());
    const int got_spot = static_cast<int>(out->spot_ids.size());
    metrics_->launched(Market::kOnDemand, true, got_on_demand);
    metrics_->launched(Market::kSpot, true, got_spot);
    // What was asked and not placed in any market failed; capacity placed in the
    // other market than asked (an Auto Scaling group's own on-demand base, a
    // fall-back) is no failure but a disagreement, counted and logged as one.
    const int missing = std::max(0, s.split.total() - got_on_demand - got_spot);
    const int swapped = std::max(0, got_on_demand - s.split.on_demand) + std::max(0, got_spot - s.split.spot);
    if (missing > 0) {
      const int missing_on_demand = std::min(missing, std::max(0, s.split.on_demand - got_on_demand));
      metrics_->launched(Market::kOnDemand, false, missing_on_demand);
      metrics_->launched(Market::kSpot, false, missing - missing_on_demand);
    }
    if (swapped > 0) {
      metrics_->launch_market_mismatch(swapped);
      log::warn("the cloud placed capacity in another market than asked",
                {{"pool", pool.name}, {"asked_on_demand", s.split.on_demand}, {"asked_spot", s.split.spot},
                 {"got_on_demand", got_on_demand}, {"got_spot", got_spot}});
    }
    result = "ok: " + join_ids(out->on_demand_ids.empty() ? out->spot_ids : out->on_demand_ids);
    if (!out->on_demand_ids.empty() && !out->spot_ids.empty()) result += "," + join_ids(out->spot_ids);
    if (ids.empty()) result = "launched none";
    if (swapped > 0) {
      result += "; placed in another market than asked (on-demand " + std::to_string(got_on_demand) + " of " +
                std::to_string(s.split.on_demand) + ", spot " + std::to_string(got_spot) + " of " + std::to_string(s.split.spot) + ")";
    }
    if (out->on_demand_error) result += "; on-demand: " + out->on_demand_error->describe();
    if (out->spot_error) result += "; spot: " + out->spot_error->describe();
  }
  ps.bucket.take(static_cast<int>(ids.size()), now);
  pool_report.launched += static_cast<int>(ids.size());
  log_action(pool.name, ActionKind::kScaleOut, static_cast<std::int64_t>(ids.size()), s.reason, result, report);
  for (const auto& [id, market] : ids) {
    Instance rec;
    rec.pool = pool.name;
    rec.instance_id = id;
    rec.market = market;
    rec.state = InstanceState::kBooting;
    rec.launched_at = now;
    if (auto st = record(ps, rec); !st.ok()) ++report.errors;
    if (!register_instance(ps, id, runner_name_for(pool.name, id), "JIT config for a new instance", report)) {
      ++pool_report.pending_registrations;
    }
  }
}

// Deregister first: GitHub refuses (kConflict) if a job started meanwhile, and then the
// instance stays. Only an accepted (or already gone) runner is terminated. True when the
// runner was removed (a scale-in, whatever became of the instance).
bool Reconciler::act_deregister(PoolState& ps, const Step& s, PassReport& report, PoolPassReport& pool_report) {
  const config::PoolConfig& pool = ps.config;
  Status del = options_.github->delete_runner(ps.scope, s.runner_id);
  if (!del.ok() && del.error().kind != ErrorKind::kNotFound) {
    const bool busy = del.error().kind == ErrorKind::kConflict;
    if (!busy) ++report.errors;
    log_action(pool.name, ActionKind::kDeregister, 1, s.reason + " [" + s.runner_name + "]",
               busy ? "refused: runner busy; kept" : del.error().describe(), report);
    return false;
  }
  log_action(pool.name, ActionKind::kDeregister, 1, s.reason + " [" + s.runner_name + "]", "ok", report);
  // On failure the runner is gone all the same: the instance now counts as runner_gone
  // and its termination is retried.
  Status term = terminate_instance(ps, s, report, pool_report);
  log_action(pool.name, ActionKind::kTerminate, 1, "scale in after deregistering " + s.runner_name + " [" + s.instance_id + "]",
             term.ok() ? "ok" : term.error().describe(), report);
  return true;
}

// The cloud call both kinds of removal end with, counted (terminations by reason, errors)
// and recorded; the caller logs it in its own words.
Status Reconciler::terminate_instance(PoolState& ps, const Step& s, PassReport& report, PoolPassReport& pool_report) {
  Status term = ps.provider->terminate({s.instance_id});
  if (term.ok()) {
    ++pool_report.terminated;
    metrics_->terminated(to_string(s.termination));
    if (auto st = forget(ps, s.instance_id); !st.ok()) ++report.errors;
  } else {
    ++report.errors;
  }
  return term;
}

void Reconciler::act_terminate(PoolState& ps, const Step& s, PassReport& report, PoolPassReport& pool_report) {
  const config::PoolConfig& pool = ps.config;
  Status term = terminate_instance(ps, s, report, pool_report);
  log_action(pool.name, ActionKind::kCleanup, 1, "terminate " + s.instance_id + ": " + s.reason,
             term.ok() ? "ok" : term.error().describe(), report);
}

void Reconciler::act_delete_runner(PoolState& ps, const Step& s, PassReport& report) {
  const config::PoolConfig& pool = ps.config;
  Status del = options_.github->delete_runner(ps.scope, s.runner_id);
  const bool ok = del.ok() || del.error().kind == ErrorKind::kNotFound;
  if (!ok) ++report.errors;
  log_action(pool.name, ActionKind::kCleanup, 1, "delete runner " + s.runner_name + ": " + s.reason,
             ok ? "ok" : del.error().describe(), report);
}

}  // namespace ghscale::scaler
