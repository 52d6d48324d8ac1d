#include "app/reconcile_once.h"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

namespace ghscale::app {

namespace json = boost::json;

Result<ReconcileRequest> parse_reconcile_request(std::string_view text) {
  ReconcileRequest out;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;  // no input: every pool
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return make_error(ErrorKind::kInvalid, "reconcile input is not JSON: " + ec.message());
  if (v.is_null()) return out;
  if (!v.is_object()) return make_error(ErrorKind::kInvalid, "reconcile input must be a JSON object");
  const json::object& o = v.as_object();
  if (const json::value* pools = o.if_contains("pools"); pools != nullptr && !pools->is_null()) {
    if (!pools->is_array()) return make_error(ErrorKind::kInvalid, "reconcile input: \"pools\" must be a list of pool names");
    for (const json::value& p : pools->as_array()) {
      if (!p.is_string()) return make_error(ErrorKind::kInvalid, "reconcile input: \"pools\" must be a list of pool names");
      out.pools.emplace_back(p.as_string());
    }
  }
  if (const json::value* sweep = o.if_contains("sweep"); sweep != nullptr && !sweep->is_null()) {
    if (!sweep->is_bool()) return make_error(ErrorKind::kInvalid, "reconcile input: \"sweep\" must be true or false");
    out.sweep = sweep->as_bool();
  }
  return out;
}

std::string to_json(const ReconcileSummary& s) {
  json::array pools;
  for (const auto& p : s.pools) {
    pools.push_back(json::object{{"pool", p.pool},
                                 {"action", scaler::to_string(p.action)},
                                 {"launched", p.launched},
                                 {"terminated", p.terminated},
                                 {"desired", p.counts.desired},
                                 {"running", p.counts.running},
                                 {"idle", p.counts.idle},
                                 {"busy", p.counts.busy},
                                 {"booting", p.counts.booting},
                                 {"queued", p.counts.queued},
                                 {"cooldown_remaining_ms", static_cast<std::int64_t>(p.cooldown_remaining.count())}});
  }
  json::object o{{"acted", s.acted},   {"holder", s.holder},
                 {"errors", s.errors}, {"scaled", s.scaled},
                 {"pending_registrations", s.pending_registrations}, {"pools", std::move(pools)}};
  // Only with errors, so a clean pass keeps the shape the state machine was written for.
  if (!s.error_messages.empty()) {
    json::array messages;
    for (const auto& m : s.error_messages) messages.emplace_back(m);
    o["error_messages"] = std::move(messages);
  }
  return json::serialize(o);
}

Result<std::unique_ptr<ReconcileOnce>> ReconcileOnce::create(const config::Config& cfg,
                                                             std::shared_ptr<store::Store> store,
                                                             const ScalerHooks& hooks) {
  auto failed = std::make_shared<FailedCalls>();
  ScalerHooks watched = hooks;
  watched.wrap_provider = [failed, outer = hooks.wrap_provider](const config::PoolConfig& pool,
                                                                std::shared_ptr<provider::Provider> p) {
    if (outer) p = outer(pool, std::move(p));
    return watch_provider(pool.name, std::move(p), failed);
  };
  watched.wrap_github = [failed, outer = hooks.wrap_github](std::shared_ptr<github::GitHubApi> g) {
    if (outer) g = outer(std::move(g));
    return watch_github(std::move(g), failed);
  };
  auto built = build_scaler(cfg, store, watched);
  if (!built) return built.error();
  return std::unique_ptr<ReconcileOnce>(new ReconcileOnce(std::move(*built), std::move(store), std::move(failed)));
}

std::vector<std::string> ReconcileOnce::explain_errors(const scaler::PassReport& report,
                                                       std::int64_t last_action_before,
                                                       const std::vector<FailedCall>& calls) {
  std::vector<std::string> out;
  std::vector<bool> told(calls.size(), false);  // a call already named, here or by the action log
  std::map<std::string, int> explained;  // failed actions per pool
  auto actions = store_->last_actions(static_cast<std::size_t>(std::max(report.actions, 1)));
  if (actions.ok()) {
    std::vector<Action> failed;
    for (const auto& a : *actions) {
      if (a.id > last_action_before && a.result.rfind("ok", 0) != 0) failed.push_back(a);
    }
    std::sort(failed.begin(), failed.end(), [](const Action& x, const Action& y) { return x.id < y.id; });
    for (const auto& a : failed) {
      ++explained[a.pool];
      out.push_back(a.pool + ": " + std::string(to_string(a.kind)) + " (" + a.reason + "): " + a.result);
      for (std::size_t k = 0; k < calls.size(); ++k) {
        told[k] = told[k] || a.result.find(calls[k].error) != std::string::npos;
      }
    }
  }
  // The reconciler counts some errors without an action-log entry (a pool it could not
  // observe, the sweep, a store write) and only logs their text: the calls that failed say
  // which and why. Each call not named yet is said once, with how often it failed: a
  // cloud call under its pool's name, a GitHub call under none, as the sweep before the
  // pools and a pool's observation make the same calls and one cannot tell which it served.
  std::vector<std::pair<std::string, int>> failures;  // in the order they first failed
  for (std::size_t k = 0; k < calls.size(); ++k) {
    if (told[k]) continue;
    const std::string line = (calls[k].pool.empty() ? "" : calls[k].pool + ": ") + calls[k].call + ": " + calls[k].error;
    auto same = std::find_if(failures.begin(), failures.end(), [&](const auto& f) { return f.first == line; });
    if (same != failures.end()) {
      ++same->second;
    } else {
      failures.emplace_back(line, 1);
    }
  }
  for (const auto& [line, times] : failures) out.push_back(times > 1 ? line + " (" + std::to_string(times) + " times)" : line);
  if (!failures.empty()) return out;
  // No call failed: the errors were the store's.
  int in_pools = 0;
  for (const auto& p : report.pools) {
    in_pools += p.errors;
    if (const int unexplained = p.errors - explained[p.pool]; unexplained > 0) {
      out.push_back(p.pool + ": " + std::to_string(unexplained) +
                    " error(s) outside the action log, no cloud or GitHub call among them (the store; see the log)");
    }
  }
  if (report.errors > in_pools) {
    out.push_back(std::to_string(report.errors - in_pools) +
                  " error(s) before the pools ran, no GitHub call among them (reading jobs from the store; see the log)");
  }
  return out;
}

Result<ReconcileSummary> ReconcileOnce::run(const ReconcileRequest& request) {
  scaler::Reconciler& rec = *scaler_.reconciler;
  for (const auto& name : request.pools) {
    const auto& pools = rec.options().pools;
    if (std::none_of(pools.begin(), pools.end(), [&](const scaler::PoolBinding& b) { return b.config.name == name; })) {
      return make_error(ErrorKind::kInvalid, "no pool named '" + name + "' in the configuration");
    }
  }
  std::int64_t last_action_before = 0;
  if (auto last = store_->last_actions(1); last.ok() && !last->empty()) last_action_before = last->front().id;
  (void)failed_->take();  // a previous pass's (a warm Lambda container runs many)
  scaler::PassReport report = rec.run_pass(request.sweep ? scaler::PassKind::kSweep : scaler::PassKind::kTick, request.pools);
  const std::vector<FailedCall> calls = failed_->take();
  // Only a lease this pass held is given up: releasing one held by another process fails
  // (and says so), and is not ours to free.
  if (report.acted) rec.release_lease();

  ReconcileSummary out;
  out.acted = report.acted;
  out.errors = report.errors;
  if (report.errors > 0) out.error_messages = explain_errors(report, last_action_before, calls);
  if (report.acted) {
    out.holder = rec.options().holder;
  } else {
    out.holder = rec.status().lease_holder;
  }
  for (auto& p : report.pools) {
    out.scaled = out.scaled || p.launched > 0 || p.terminated > 0;
    out.pending_registrations += p.pending_registrations;
  }
  out.pools = std::move(report.pools);
  return out;
}

}  // namespace ghscale::app
