#include "app/lambda/lambda_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "aws/services/ssm.h"
#include "aws/session.h"
#include "config/loader.h"

namespace ghscale::app::lambda {

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

ParameterFetcher ssm_fetcher() {
  return [](const std::string& name) -> Result<std::string> {
    auto session = aws::Session::create(aws::SessionOptions{});
    if (!session) return session.error();
    aws::SsmClient ssm((*session)->client(aws::Service::kSsm));
    auto p = ssm.get_parameter(name, true);
    if (!p) return p.error();
    return p->value;
  };
}

Result<std::string> apply_env_overrides(const std::string& yaml, const EnvLookup& env) {
  const auto table = env("GHSCALE_DYNAMODB_TABLE");
  const auto webhook_secret = env("GHSCALE_WEBHOOK_SECRET_SSM_PARAMETER");
  const auto token = env("GHSCALE_GITHUB_TOKEN_SSM_PARAMETER");
  const auto app_key = env("GHSCALE_GITHUB_APP_KEY_SSM_PARAMETER");
  const auto level = env("GHSCALE_LOG_LEVEL");
  if (!table && !webhook_secret && !token && !app_key && !level) return yaml;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::kInvalid, std::string("the configuration is not YAML: ") + e.what());
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) return make_error(ErrorKind::kInvalid, "the configuration is not a YAML mapping");
  if (table) {
    // Read through a const node: a non-const operator[] would insert the keys it asks for.
    const YAML::Node store = root["store"];
    YAML::Node fresh(YAML::NodeType::Map);
    fresh["dynamodb"]["table"] = *table;
    if (store.IsMap() && store["retention"]) fresh["retention"] = YAML::Clone(store["retention"]);
    root["store"] = fresh;
  }
  if (webhook_secret) {
    YAML::Node secrets(YAML::NodeType::Sequence);
    secrets.push_back("ssm:" + *webhook_secret);
    root["webhook"] = YAML::Node(YAML::NodeType::Map);
    root["webhook"]["secrets"] = secrets;
  }
  if (token) {
    YAML::Node auth(YAML::NodeType::Map);
    auth["pat"]["token"] = "ssm:" + *token;
    root["github"]["auth"] = auth;
  } else if (app_key) {
    root["github"]["auth"]["app"]["private_key"] = "ssm:" + *app_key;
  }
  if (level) root["logging"]["level"] = *level;
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

Result<config::Config> load_lambda_config(const EnvLookup& env, const ParameterFetcher& fetch_parameter) {
  std::string text;
  std::string name;
  std::string base_dir = ".";
  if (auto param = env("GHSCALE_CONFIG_SSM_PARAMETER")) {
    auto value = fetch_parameter(*param);
    if (!value) {
      return make_error(value.error().kind == ErrorKind::kNotFound ? ErrorKind::kInvalid : value.error().kind,
                        "configuration parameter " + *param + ": " + value.error().message);
    }
    text = std::move(*value);
    name = "ssm:" + *param;
  } else {
    name = env("GHSCALE_CONFIG").value_or(env("LAMBDA_TASK_ROOT").value_or(".") + "/ghscale.yaml");
    std::ifstream in(name, std::ios::binary);
    if (!in) return make_error(ErrorKind::kInvalid, "cannot read the configuration " + name + " (GHSCALE_CONFIG)");
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
    if (auto slash = name.rfind('/'); slash != std::string::npos) base_dir = name.substr(0, slash);
  }
  auto overridden = apply_env_overrides(text, env);
  if (!overridden) return make_error(ErrorKind::kInvalid, name + ": " + overridden.error().message);
  if (*overridden != text) name += " (with environment overrides)";
  auto loaded = config::load_config_text(*overridden, name, base_dir);
  if (!loaded.ok()) return make_error(ErrorKind::kInvalid, config::format_all(loaded.errors));
  return std::move(*loaded.config);
}

std::string event_bus(const EnvLookup& env) { return env("GHSCALE_EVENT_BUS").value_or("default"); }

}  // namespace ghscale::app::lambda
