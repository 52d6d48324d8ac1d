#include "app/lambda/lambda_command.h"

#include <iostream>

#include "app/exit_codes.h"
#include "app/lambda/lambda_config.h"
#include "app/lambda/runtime_client.h"
#include "app/lambda/webhook_function.h"
#include "app/open_store.h"
#include "app/reconcile_once.h"
#include "app/secrets.h"
#include "aws/session.h"
#include "core/log.h"
#include "core/version.h"

namespace ghscale::app {
namespace {

using lambda::Function;
using lambda::Invocation;

// "webhook", or the part after the last '.' of "bootstrap.webhook".
std::string handler_name(std::string handler) {
  if (auto dot = handler.rfind('.'); dot != std::string::npos) handler = handler.substr(dot + 1);
  return handler;
}

Result<Function> webhook_function(const config::Config& cfg, std::shared_ptr<store::Store> store,
                                  const lambda::EnvLookup& env) {
  auto secrets = resolve_secrets(cfg.webhook.secrets);
  if (!secrets) return secrets.error();
  auto session = aws::Session::create(aws::SessionOptions{});
  if (!session) return session.error();
  lambda::WebhookFunctionOptions o;
  o.handler.path = cfg.server.webhook_path;
  o.handler.secrets = std::move(*secrets);
  o.handler.max_body_bytes = cfg.server.max_body_bytes;
  o.store = std::move(store);
  o.events = std::make_shared<aws::EventBridgeClient>((*session)->client(aws::Service::kEventBridge));
  o.event_bus = lambda::event_bus(env);
  auto fn = lambda::WebhookFunction::create(std::move(o));
  if (!fn) return fn.error();
  std::shared_ptr<lambda::WebhookFunction> shared = std::move(*fn);
  return Function([shared](const Invocation& inv) { return shared->invoke(inv.payload); });
}

Result<Function> reconcile_function(const config::Config& cfg, std::shared_ptr<store::Store> store) {
  if (cfg.pools.empty()) return make_error(ErrorKind::kInvalid, "the reconcile function needs pools in the configuration");
  auto once = ReconcileOnce::create(cfg, std::move(store));
  if (!once) return once.error();
  std::shared_ptr<ReconcileOnce> shared = std::move(*once);
  return Function([shared](const Invocation& inv) -> Result<std::string> {
    auto request = parse_reconcile_request(inv.payload);
    if (!request) return request.error();
    auto summary = shared->run(*request);
    if (!summary) return summary.error();
    return to_json(*summary);
  });
}

Result<Function> init_function(const std::string& handler, const lambda::EnvLookup& env) {
  if (handler != "webhook" && handler != "reconcile") {
    return make_error(ErrorKind::kInvalid,
                      "unknown handler '" + handler + "' (_HANDLER or --handler): expected webhook or reconcile");
  }
  auto cfg = lambda::load_lambda_config(env, lambda::ssm_fetcher());
  if (!cfg) return cfg.error();
  // Lambda sends stdout and stderr to CloudWatch Logs; JSON lines keep them queryable.
  log::init(log::Format::kJson, log::parse_level(cfg->logging.level).value_or(log::Level::kInfo));
  // The function keeps the store (and the scaler) for the process's life: warm
  // invocations reuse them.
  auto store = open_store(*cfg, StoreUse::kDaemon);
  if (!store) return store.error();
  std::shared_ptr<store::Store> shared = std::move(*store);
  return handler == "webhook" ? webhook_function(*cfg, shared, env) : reconcile_function(*cfg, shared);
}

}  // namespace

int run_lambda(const LambdaOptions& options) {
  const lambda::EnvLookup env = lambda::process_env();
  const auto api = env("AWS_LAMBDA_RUNTIME_API");
  if (!api) {
    std::cerr << "ghscale lambda: AWS_LAMBDA_RUNTIME_API is not set; this command runs inside AWS Lambda "
                 "(or against a Runtime API emulator)\n";
    return kExitUsage;
  }
  lambda::RuntimeClient runtime(*api, http::make_curl_client({.user_agent = "ghscale/" + std::string(kVersion)}));
  const std::string handler = handler_name(options.handler.empty() ? env("_HANDLER").value_or("") : options.handler);
  auto function = init_function(handler, env);
  if (!function) {
    log::error("cannot start the function", {{"handler", handler}, {"error", function.error().describe()}});
    if (auto st = runtime.init_error(function.error()); !st.ok()) {
      log::error("cannot report the init error", {{"error", st.error().describe()}});
    }
    return kExitFailure;
  }
  log::info("lambda function ready", {{"handler", handler}, {"version", std::string(kVersion)}});
  return lambda::run_loop(runtime, *function);
}

}  // namespace ghscale::app
