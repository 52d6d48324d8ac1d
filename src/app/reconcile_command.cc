// `ghscale reconcile --once`: one reconcile pass with the configured store and providers,
// then what it did. Pointed at an AWS-compatible endpoint through the standard
// AWS_ENDPOINT_URL[_<SERVICE>] variables it needs nothing else.
#include <iostream>

#include "app/exit_codes.h"
#include "app/open_store.h"
#include "app/reconcile_once.h"
#include "app/table.h"
#include "config/loader.h"
#include "core/log.h"

namespace ghscale::app {
namespace {

std::string render(const ReconcileSummary& s) {
  std::string out;
  if (s.acted) {
    out += "acted as " + s.holder + "; " + std::to_string(s.errors) + " error(s); " +
           std::to_string(s.pending_registrations) + " pending registration(s)\n";
  } else {
    out += "did not act: the scaler lease is held by " + (s.holder.empty() ? std::string("another process") : s.holder) +
           "\n";
    return out;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : s.pools) {
    rows.push_back({p.pool, std::string(scaler::to_string(p.action)), std::to_string(p.launched), std::to_string(p.terminated),
                    std::to_string(p.counts.desired), std::to_string(p.counts.running), std::to_string(p.counts.idle),
                    std::to_string(p.counts.busy), std::to_string(p.counts.booting), std::to_string(p.counts.queued),
                    p.cooldown_remaining.count() > 0 ? std::to_string(p.cooldown_remaining.count()) + "ms" : "-"});
  }
  out += render_table({"POOL", "ACTION", "LAUNCHED", "TERMINATED", "DESIRED", "RUNNING", "IDLE", "BUSY", "BOOTING",
                       "QUEUED", "COOLDOWN"},
                      rows);
  if (!s.error_messages.empty()) out += "errors:\n";
  for (const auto& m : s.error_messages) out += "  " + m + "\n";
  return out;
}

}  // namespace

int run_reconcile(const ReconcileCommandOptions& o) {
  if (!o.once) {
    std::cerr << "ghscale reconcile: only --once is supported here (one pass, then exit); "
                 "the continuous loop is `ghscale serve`\n";
    return kExitUsage;
  }
  auto loaded = config::load_config_file(o.config_path);
  if (!loaded.ok()) {
    std::cerr << config::format_all(loaded.errors);
    return kExitUsage;
  }
  const config::Config& cfg = *loaded.config;
  if (cfg.pools.empty()) {
    std::cerr << "ghscale reconcile: the configuration has no pools\n";
    return kExitUsage;
  }
  log::init(*log::parse_format(cfg.logging.format), *log::parse_level(cfg.logging.level), cfg.logging.file);
  auto store = open_store(cfg, StoreUse::kDaemon);
  if (!store) {
    std::cerr << "ghscale: store: " << store.error().message << "\n";
    return store.error().kind == ErrorKind::kInvalid ? kExitUsage : kExitFailure;
  }
  std::shared_ptr<store::Store> shared = std::move(*store);
  int code = kExitOk;
  {
    auto once = ReconcileOnce::create(cfg, shared);
    if (!once) {
      std::cerr << "ghscale: " << once.error().message << "\n";
      code = once.error().kind == ErrorKind::kInvalid ? kExitUsage : kExitFailure;
    } else {
      ReconcileRequest req;
      req.pools = o.pools;
      auto summary = (*once)->run(req);
      if (!summary) {
        std::cerr << "ghscale: " << summary.error().message << "\n";
        code = summary.error().kind == ErrorKind::kInvalid ? kExitUsage : kExitFailure;
      } else {
        std::cout << (o.json ? to_json(*summary) + "\n" : render(*summary));
        code = summary->errors > 0 ? kExitFailure : kExitOk;
      }
    }
  }
  if (auto st = shared->flush(); !st) log::warn("store flush failed", {{"error", st.error().message}});
  if (auto st = shared->close(); !st) log::warn("store close failed", {{"error", st.error().message}});
  return code;
}

}  // namespace ghscale::app
