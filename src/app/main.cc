// ghscale's command line. Each subcommand lives in its own file; this one only parses.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "app/commands.h"
#include "app/exit_codes.h"

int main(int argc, char** argv) {
  using namespace ghscale::app;
  CLI::App cli{"ghscale: autoscaled GitHub Actions self-hosted runners on AWS"};
  cli.name("ghscale");
  cli.require_subcommand(1);
  cli.footer("Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.");

  ServeOptions serve;
  const char* env_config = std::getenv("GHSCALE_CONFIG");
  if (env_config != nullptr) serve.config_path = env_config;
  auto* serve_cmd = cli.add_subcommand("serve", "Run the daemon: webhook server, reconciler, metrics");
  auto* serve_config = serve_cmd->add_option("-c,--config", serve.config_path, "Configuration file (or $GHSCALE_CONFIG)");
  if (env_config == nullptr) serve_config->required();

  auto* config_cmd = cli.add_subcommand("config", "Work with configuration files");
  config_cmd->require_subcommand(1);
  std::string check_path;
  bool quiet = false;
  auto* check_cmd = config_cmd->add_subcommand("check", "Validate a configuration file; exit 2 on any error");
  check_cmd->add_option("file", check_path, "Configuration file")->required();
  check_cmd->add_flag("-q,--quiet", quiet, "Print nothing when the file is valid");

  bool version_json = false;
  auto* version_cmd = cli.add_subcommand("version", "Print the version");
  version_cmd->add_flag("--json", version_json, "As JSON");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = cli.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (*serve_cmd) return run_serve(serve);
  if (*check_cmd) return run_config_check(check_path, quiet);
  if (*version_cmd) return run_version(version_json);
  return kExitUsage;
}
