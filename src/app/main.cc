// ghscale's command line. Each subcommand lives in its own file; this one only parses.
#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/lambda/lambda_command.h"
#include "app/pools_command.h"
#include "app/reconcile_once.h"
#include "app/sandbox_commands.h"
#include "app/store_init_command.h"
#include "app/workload_command.h"

int main(int argc, char** argv) {
  using namespace ghscale::app;
  // Checked before each number option's range: CLI11's Range compares, and every comparison
  // with NaN is false, so "nan" passed it (and made a simulation of nothing, or a sandbox
  // that never ends).
  const CLI::Validator finite(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end != text.c_str() && !std::isfinite(v)) return "'" + text + "' is not a finite number";
        return {};
      },
      "");
  // A seed is an unsigned 64-bit number; CLI11 took "-1" and wrapped it.
  const CLI::Validator seed_number(
      [](std::string& text) -> std::string {
        std::uint64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || end != text.data() + text.size()) {
          return "'" + text + "' is not a whole number from 0 to 18446744073709551615";
        }
        return {};
      },
      "");
  CLI::App cli{"ghscale: autoscaled GitHub Actions self-hosted runners on AWS"};
  cli.name("ghscale");
  cli.require_subcommand(1);
  cli.footer("Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.");

  ServeOptions serve;
  const char* env_config = std::getenv("GHSCALE_CONFIG");
  if (env_config != nullptr && *env_config == '\0') env_config = nullptr;  // set but empty: as unset, so --config is asked for
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

  // Store commands find the store through the same configuration file as serve.
  auto add_config = [&](CLI::App* cmd, std::string& path) {
    auto* opt = cmd->add_option("-c,--config", path, "Configuration file (or $GHSCALE_CONFIG)");
    if (env_config != nullptr) {
      path = env_config;
    } else {
      opt->required();
    }
  };

  SettingsOptions settings;
  auto* settings_cmd = cli.add_subcommand("settings", "Read or change runtime settings kept in the store");
  settings_cmd->require_subcommand(1);
  auto* settings_get = settings_cmd->add_subcommand("get", "Print a setting (e.g. cooldown)");
  settings_get->add_option("name", settings.name, "Setting name")->required();
  add_config(settings_get, settings.config_path);
  auto* settings_set = settings_cmd->add_subcommand("set", "Change a setting (e.g. cooldown 60000)");
  settings_set->add_option("name", settings.name, "Setting name")->required();
  settings_set->add_option("value", settings.value, "New value")->required();
  add_config(settings_set, settings.config_path);

  JobsOptions jobs;
  auto* jobs_cmd = cli.add_subcommand("jobs", "List jobs known from webhooks, newest first");
  jobs_cmd->add_option("--state", jobs.state, "waiting, queued, in_progress or completed");
  jobs_cmd->add_option("--limit", jobs.limit, "At most this many")->check(CLI::Range(1, 100000));
  jobs_cmd->add_flag("--json", jobs.json, "As JSON");
  add_config(jobs_cmd, jobs.config_path);

  ActionsOptions actions;
  auto* actions_cmd = cli.add_subcommand("actions", "List the last scaling actions, newest first");
  actions_cmd->add_option("--last", actions.last, "How many")->check(CLI::Range(1, 100000));
  actions_cmd->add_flag("--json", actions.json, "As JSON");
  add_config(actions_cmd, actions.config_path);

  GitHubOptions gh;
  auto* github_cmd = cli.add_subcommand("github", "Ask GitHub through ghscale's credentials");
  github_cmd->require_subcommand(1);
  auto* gh_whoami = github_cmd->add_subcommand("whoami", "Who the token or App is, and the rate-limit buckets");
  auto* gh_runners = github_cmd->add_subcommand("runners", "Runners in a pool's scope");
  auto* gh_groups = github_cmd->add_subcommand("groups", "Runner groups in a pool's scope");
  for (auto* c : {gh_whoami, gh_runners, gh_groups}) {
    add_config(c, gh.config_path);
    c->add_flag("--json", gh.json, "As JSON");
  }
  gh_runners->add_option("--pool", gh.pool, "Pool name (default: the first pool)");
  gh_groups->add_option("--pool", gh.pool, "Pool name (default: the first pool)");

  std::string store_init_config;
  auto* store_cmd = cli.add_subcommand("store", "Manage the state store");
  store_cmd->require_subcommand(1);
  auto* store_init = store_cmd->add_subcommand(
      "init", "Create the DynamoDB table (PAY_PER_REQUEST, PK/SK strings) for development; idempotent");
  add_config(store_init, store_init_config);

  StatusOptions status;
  auto* status_cmd = cli.add_subcommand("status", "Per-pool runners, jobs and scaler state of a running daemon");
  status_cmd->add_option("-c,--config", status.config_path, "Configuration file (or $GHSCALE_CONFIG)");
  if (env_config != nullptr) status.config_path = env_config;
  status_cmd->add_option("--url", status.url, "The daemon's base URL (default: from server.* of the config)");
  status_cmd->add_flag("--json", status.json, "As JSON");

  AwsWhoamiOptions aws_who;
  auto* aws_cmd = cli.add_subcommand("aws", "Ask AWS through ghscale's credentials");
  aws_cmd->require_subcommand(1);
  auto* aws_whoami = aws_cmd->add_subcommand("whoami", "Identity, credential source, region and endpoints");
  aws_whoami->add_option("--region", aws_who.region, "Region (default: AWS_REGION, profile, instance metadata)");
  aws_whoami->add_option("--endpoint-url", aws_who.endpoint_url, "Endpoint for every service");
  aws_whoami->add_flag("--json", aws_who.json, "As JSON");

  SimulateOptions sim;
  auto* simulate_cmd = cli.add_subcommand(
      "simulate", "Compare scaling policies on a workload in virtual time: queue waits, cost, API calls");
  auto* sim_workload = simulate_cmd->add_option("--workload", sim.workload_csv, "CSV: queued_at, labels, duration_s[, repo[, run, job, needs]]");
  auto* sim_hours = simulate_cmd->add_option("--hours", sim.hours, "Synthetic workload length")->check(finite)->check(CLI::Range(0.01, 24.0 * 366));
  auto* sim_rate = simulate_cmd->add_option("--jobs-per-day", sim.jobs_per_day, "Synthetic arrival rate")->check(finite)->check(CLI::Range(1.0, 1e8));
  simulate_cmd->add_option("--seed", sim.seed, "Random seed")->check(seed_number);
  auto* sim_shape = simulate_cmd->add_option("--synthetic", sim.synthetic, "Synthetic shape: day (independent jobs) or dag (runs: build, tests, deploy)")
      ->check(CLI::IsMember({"day", "dag"}));
  std::vector<std::string> policies;
  simulate_cmd->add_option("--policy", policies, "ghscale, ghscale-warm[:COVERAGE], ghscale-scale-set, original or per-job (repeatable; default: ghscale, original, per-job)");
  simulate_cmd->add_option("--max-runners", sim.max_runners, "Capacity cap")->check(CLI::Range(1, 1000000));
  simulate_cmd->add_option("--on-demand-base", sim.on_demand_base,
                           "On-demand instances kept first, the same for every policy (default: ghscale and original 1, per-job 0)")
      ->check(CLI::Range(0, 1000000));
  simulate_cmd->add_option("--boot-time", sim.boot_seconds, "Instance boot seconds")->check(finite)->check(CLI::Range(0.0, 3600.0));
  simulate_cmd->add_option("--boot-jitter", sim.boot_jitter_seconds, "Extra random boot seconds")
      ->check(finite)->check(CLI::Range(0.0, 3600.0));
  simulate_cmd->add_option("--spot-interruptions", sim.spot_interruption_rate, "Per spot instance-hour")
      ->check(finite)->check(CLI::Range(0.0, 100.0));
  simulate_cmd->add_option("--instance-type", sim.instance_type, "Priced instance type");
  simulate_cmd->add_option("--drain-hours", sim.drain_hours,
                           "Hours after the last arrival the run may go on draining the queue; jobs still waiting then are cut")
      ->check(finite)->check(CLI::Range(0.0, 8760.0));
  simulate_cmd->add_option("--drop", sim.drop, "Webhook drop probability")->check(finite)->check(CLI::Range(0.0, 1.0));
  simulate_cmd->add_option("--duplicate", sim.duplicate, "Webhook duplicate probability")->check(finite)->check(CLI::Range(0.0, 1.0));
  simulate_cmd->add_option("--reorder", sim.reorder, "Webhook reorder probability")->check(finite)->check(CLI::Range(0.0, 1.0));
  simulate_cmd->add_flag("--json", sim.json, "As JSON");
  simulate_cmd->add_option("--csv", sim.csv_path, "Write the per-minute time series as CSV");
  simulate_cmd->add_option("--export-workload", sim.export_workload, "Write the workload used as CSV");
  simulate_cmd->add_option("--html", sim.html_path, "Write a self-contained HTML report comparing the policies");
  simulate_cmd->add_option("--config", sim.config_path,
                           "Run the ghscale policies with a pool of this config file (its scaling settings, labels and "
                           "reconcile timings); every policy gets its max_runners");
  simulate_cmd->add_option("--pool", sim.pool, "With --config: the pool to simulate (default: the first)");
  // The synthetic workload's shape means nothing with a CSV: said, not silently ignored.
  for (CLI::Option* synthetic_only : {sim_hours, sim_rate, sim_shape}) sim_workload->excludes(synthetic_only);

  SandboxOptions sandbox;
  auto* sandbox_cmd = cli.add_subcommand(
      "sandbox", "Run the real daemon against a GitHub simulator and a simulated cloud, then report");
  sandbox_cmd->add_option("--speed", sandbox.speed, "Virtual seconds per real second")->check(finite)->check(CLI::Range(1.0, 3600.0));
  auto* sb_minutes = sandbox_cmd->add_option("--minutes", sandbox.minutes, "Workload length in virtual minutes")
      ->check(finite)->check(CLI::Range(1.0, 24.0 * 60));
  auto* sb_rate = sandbox_cmd->add_option("--jobs-per-hour", sandbox.jobs_per_hour, "Synthetic arrival rate")
      ->check(finite)->check(CLI::Range(1.0, 100000.0));
  sandbox_cmd->add_option("--seed", sandbox.seed, "Random seed")->check(seed_number);
  auto* sb_shape = sandbox_cmd->add_option("--synthetic", sandbox.synthetic, "Synthetic shape: day (independent jobs) or dag (runs with needs)")
      ->check(CLI::IsMember({"day", "dag"}));
  auto* sb_workload = sandbox_cmd->add_option("--workload", sandbox.workload_csv, "CSV: queued_at, labels, duration_s[, repo[, run, job, needs]]");
  for (CLI::Option* synthetic_only : {sb_minutes, sb_rate, sb_shape}) sb_workload->excludes(synthetic_only);
  sandbox_cmd->add_option("--data-dir", sandbox.data_dir, "Keep the store here (default: a temporary folder)");
  sandbox_cmd->add_option("--port", sandbox.port, "Daemon port (0 = any free port)")->check(CLI::Range(0, 65535));
  sandbox_cmd->add_option("--boot-time", sandbox.boot_seconds, "Instance boot seconds")->check(finite)->check(CLI::Range(0.0, 3600.0));
  sandbox_cmd->add_option("--max-runners", sandbox.max_runners, "Capacity cap")->check(CLI::Range(1, 100000));
  sandbox_cmd->add_flag("--quiet", sandbox.quiet, "Only the final report");
  sandbox_cmd->add_option("--linger", sandbox.linger_seconds,
                          "Seconds the daemon (and its dashboard) stays up after the report; Enter or Ctrl-C ends it "
                          "sooner (default: 600 on a terminal, 0 otherwise)")
      ->check(finite)->check(CLI::Range(0.0, 86400.0));
  sandbox_cmd->add_option("--drop", sandbox.drop, "Webhook drop probability")->check(finite)->check(CLI::Range(0.0, 1.0));
  sandbox_cmd->add_option("--duplicate", sandbox.duplicate, "Webhook duplicate probability")->check(finite)->check(CLI::Range(0.0, 1.0));
  sandbox_cmd->add_option("--reorder", sandbox.reorder, "Webhook reorder probability")->check(finite)->check(CLI::Range(0.0, 1.0));
  sandbox_cmd->add_option("--demand", sandbox.demand, "How the daemon learns of jobs: webhook or scale_set (no endpoint)")
      ->check(CLI::IsMember({"webhook", "scale_set"}));
  sandbox_cmd->add_option("--lose-sessions", sandbox.lose_sessions, "scale_set: times the service loses the session")
      ->check(CLI::Range(0, 1000));
  sandbox_cmd->add_option("--unacked", sandbox.unacked, "scale_set: acknowledgements that fail (messages come again)")
      ->check(CLI::Range(0, 100000));

  ReconcileCommandOptions reconcile;
  auto* reconcile_cmd = cli.add_subcommand("reconcile", "Run one reconcile pass (--once) and print what it did");
  reconcile_cmd->add_flag("--once", reconcile.once, "One pass, then exit (the continuous loop is `ghscale serve`)");
  add_config(reconcile_cmd, reconcile.config_path);
  reconcile_cmd->add_option("--pool", reconcile.pools, "Only this pool (repeatable; default: every pool)");
  reconcile_cmd->add_flag("--json", reconcile.json, "The summary as JSON");

  PoolsCheckOptions pools_check;
  auto* pools_cmd = cli.add_subcommand("pools", "Work with the pools' cloud side");
  pools_cmd->require_subcommand(1);
  auto* pools_check_cmd = pools_cmd->add_subcommand(
      "check", "Compare each AWS pool's group or launch template with its configuration; exit 1 when they differ");
  add_config(pools_check_cmd, pools_check.config_path);
  pools_check_cmd->add_flag("--json", pools_check.json, "As JSON");

  LambdaOptions lambda_opts;
  auto* lambda_cmd = cli.add_subcommand("lambda", "Host a function on the AWS Lambda Runtime API (the package's bootstrap)");
  lambda_cmd->add_option("--handler", lambda_opts.handler, "webhook or reconcile (default: $_HANDLER)");

  WorkloadExportOptions wexport;
  auto* workload_cmd = cli.add_subcommand("workload", "Work with workloads for simulate and sandbox");
  workload_cmd->require_subcommand(1);
  auto* workload_export = workload_cmd->add_subcommand(
      "export", "Write a repo's or org's recent GitHub jobs as a workload CSV (queued_at, labels, duration_s, repo)");
  add_config(workload_export, wexport.config_path);
  workload_export->add_option("--repo", wexport.repo, "OWNER/NAME");
  workload_export->add_option("--org", wexport.org, "Every repository of this organisation");
  workload_export->add_option("--days", wexport.days, "Runs created in the last N days (1..90, default 7)");
  workload_export->add_option("-o,--output", wexport.output, "CSV file (default: stdout)");
  workload_export->add_flag("--include-failed", wexport.include_failed, "Keep failed, cancelled and timed-out jobs");

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
  if (*settings_get) return run_settings(settings);
  if (*settings_set) {
    settings.set = true;
    return run_settings(settings);
  }
  if (*jobs_cmd) return run_jobs(jobs);
  if (*simulate_cmd) {
    if (!policies.empty()) sim.policies = policies;
    sim.max_runners_given = simulate_cmd->count("--max-runners") > 0;
    return run_simulate(sim);
  }
  if (*sandbox_cmd) return run_sandbox(sandbox);
  if (*aws_whoami) return run_aws_whoami(aws_who);
  if (*status_cmd) {
    if (status.url.empty() && status.config_path.empty()) {
      std::cerr << "ghscale status: give --config FILE or --url URL\n";
      return kExitUsage;
    }
    return run_status(status);
  }
  if (*store_init) return run_store_init(store_init_config);
  for (auto* c : {gh_whoami, gh_runners, gh_groups}) {
    if (*c) {
      gh.command = c->get_name();
      return run_github(gh);
    }
  }
  if (*actions_cmd) return run_actions(actions);
  if (*workload_export) return run_workload_export(wexport);
  if (*reconcile_cmd) return run_reconcile(reconcile);
  if (*pools_check_cmd) return run_pools_check(pools_check);
  if (*lambda_cmd) return run_lambda(lambda_opts);
  return kExitUsage;
}
