// One reconcile pass on demand, for `ghscale reconcile --once` and the Lambda host's
// `reconcile` function: the daemon's scaler (app::build_scaler) run once for every pool or
// the named ones, reported as the summary the Step Functions state machine reads:
//   {"acted","holder","errors","error_messages","scaled","pending_registrations",
//    "pools":[{"pool","action","launched","terminated","desired","running","idle","busy",
//              "booting","queued","cooldown_remaining_ms"}]}
// action is "scale_out", "scale_in", "none", "cooldown" or "error". error_messages, only
// when errors > 0, says what failed: the pass's action-log entries that did not succeed
// ("POOL: KIND (REASON): RESULT"), and for errors the reconciler only logs (observing a
// pool, the sweep) the calls that failed ("POOL: CALL: ERROR", "GitHub CALL: ERROR"), or a
// count where no call failed (the store).
// Not thread-safe: one pass at a time (the Lambda runtime serialises invocations).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/failed_calls.h"
#include "app/scaler_wiring.h"
#include "config/config.h"
#include "core/error.h"
#include "scaler/reconciler.h"
#include "store/store.h"

namespace ghscale::app {

struct ReconcileRequest {
  std::vector<std::string> pools;  // empty = every pool
  // A sweep also asks GitHub for queued jobs no webhook announced: the 15-minute
  // schedule's run. A webhook-triggered run can skip it.
  bool sweep = true;
};

// The input of a reconcile invocation: {} or {"pools": ["linux"], "sweep": false}. Other
// fields (a state machine's iteration counter...) are ignored; kInvalid for a body that
// is not a JSON object or fields of the wrong type.
Result<ReconcileRequest> parse_reconcile_request(std::string_view json);

struct ReconcileSummary {
  bool acted = false;   // held the scaler lease and ran the pools
  std::string holder;   // the lease holder seen; this process when acted
  int errors = 0;
  std::vector<std::string> error_messages;
  bool scaled = false;  // a pool launched or terminated something
  int pending_registrations = 0;
  std::vector<scaler::PoolPassReport> pools;
};

std::string to_json(const ReconcileSummary& summary);

class ReconcileOnce {
 public:
  // Builds the scaler (GitHub client, providers) once; each run() is one pass. Errors
  // as build_scaler's (kInvalid: credentials, providers this build cannot run).
  static Result<std::unique_ptr<ReconcileOnce>> create(const config::Config& cfg, std::shared_ptr<store::Store> store,
                                                       const ScalerHooks& hooks = {});

  // kInvalid for a pool name the configuration does not have. The scaler lease is given
  // up after the pass, so the next run (another Lambda container, a daemon) acts at once.
  Result<ReconcileSummary> run(const ReconcileRequest& request);

 private:
  ReconcileOnce(Scaler scaler, std::shared_ptr<store::Store> store, std::shared_ptr<FailedCalls> failed)
      : scaler_(std::move(scaler)), store_(std::move(store)), failed_(std::move(failed)) {}
  // What the pass wrote to the action log without success, and the failed calls behind the
  // errors it did not write.
  std::vector<std::string> explain_errors(const scaler::PassReport& report, std::int64_t last_action_before,
                                          const std::vector<FailedCall>& calls);

  Scaler scaler_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<FailedCalls> failed_;
};

}  // namespace ghscale::app

namespace ghscale::app {

// `ghscale reconcile --once --config FILE [--pool NAME]... [--json]`: one pass, printed as
// a table (or the summary JSON). Exit 0 when the pass ran (acted or not), 1 when it had
// errors or the store failed, 2 for usage or configuration errors (no --once included:
// the continuous loop is `ghscale serve`).
struct ReconcileCommandOptions {
  std::string config_path;
  bool once = false;
  std::vector<std::string> pools;
  bool json = false;
};
int run_reconcile(const ReconcileCommandOptions& options);

}  // namespace ghscale::app
