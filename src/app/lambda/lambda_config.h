// The Lambda host's configuration: the same YAML as the daemon, from a file bundled in
// the package or from an SSM parameter, with environment overrides for what a template
// sets. Read once at init. Environment:
//   GHSCALE_CONFIG                         the YAML file (default $LAMBDA_TASK_ROOT/ghscale.yaml)
//   GHSCALE_CONFIG_SSM_PARAMETER           an SSM parameter holding the YAML (wins over the file)
//   GHSCALE_DYNAMODB_TABLE                 store: {dynamodb: {table: VALUE}} (replaces the store)
//   GHSCALE_WEBHOOK_SECRET_SSM_PARAMETER   webhook.secrets: [ssm:VALUE]
//   GHSCALE_GITHUB_TOKEN_SSM_PARAMETER     github.auth: {pat: {token: ssm:VALUE}}
//   GHSCALE_GITHUB_APP_KEY_SSM_PARAMETER   github.auth.app.private_key: ssm:VALUE
//   GHSCALE_LOG_LEVEL                      logging.level
//   GHSCALE_EVENT_BUS                      the EventBridge bus for webhook events (default "default")
// Region, credentials and endpoints come the SDKs' standard way (AWS_REGION, the
// function role's AWS_ACCESS_KEY_ID/..., AWS_ENDPOINT_URL[_<SERVICE>]).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/error.h"

namespace ghscale::app::lambda {

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
// Fetches an SSM parameter's (decrypted) value.
using ParameterFetcher = std::function<Result<std::string>(const std::string& name)>;

// The process environment (unset and empty both as nullopt).
EnvLookup process_env();
// Through the standard AWS session (region, credentials, AWS_ENDPOINT_URL_SSM).
ParameterFetcher ssm_fetcher();

// Applies the overrides above to YAML text; unchanged text when none is set. kInvalid
// for text that is not YAML.
Result<std::string> apply_env_overrides(const std::string& yaml, const EnvLookup& env);

// Reads, overrides and validates; kInvalid with every diagnostic in the message.
Result<config::Config> load_lambda_config(const EnvLookup& env, const ParameterFetcher& fetch_parameter);

// GHSCALE_EVENT_BUS or "default".
std::string event_bus(const EnvLookup& env);

}  // namespace ghscale::app::lambda
