// `ghscale sandbox`: the real daemon (SQLite store, webhook server, reconciler, status API,
// metrics) against the GitHub simulator (mirrored into a fake GitHub REST server on
// loopback, which the daemon calls over HTTP) and the simulated cloud, on a clock running
// `speed` times faster than the wall clock. Ends by itself with a report, then keeps the
// daemon and its dashboard up for a while (--linger) so the page can be looked at.
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <random>
#include <thread>

#include "app/daemon.h"
#include "app/exit_codes.h"
#include "app/sandbox_commands.h"
#include "core/log.h"
#include "sandbox/scale_set_world.h"
#include "sandbox/scaled_clock.h"
#include "sandbox/workload.h"
#include "sandbox/world.h"

namespace ghscale::app {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTokenEnv = "GHSCALE_SANDBOX_GITHUB_TOKEN";
constexpr const char* kSecretEnv = "GHSCALE_SANDBOX_WEBHOOK_SECRET";

std::string random_hex(std::size_t n) {
  std::random_device rd;
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) out += kHex[rd() % 16];
  return out;
}

Duration scaled(Duration virtual_span, double speed) {
  return std::max(Duration{1}, Duration{static_cast<Duration::rep>(static_cast<double>(virtual_span.count()) / speed)});
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::round(q * static_cast<double>(v.size() - 1)))];
}

struct Waits {
  double p50 = 0, p95 = 0, max = 0;
};

Waits waits_of(const std::vector<sandbox::SimJob>& jobs) {
  std::vector<double> w;
  for (const auto& j : jobs) {
    if (j.started_at) w.push_back(std::chrono::duration<double>(*j.started_at - j.queued_at).count());
  }
  Waits out;
  out.p50 = percentile(w, 0.5);
  out.p95 = percentile(w, 0.95);
  out.max = w.empty() ? 0.0 : *std::max_element(w.begin(), w.end());
  return out;
}

// Ctrl-C or SIGTERM during the replay or the linger: stop there and end cleanly (the
// report, the daemon stopped, the temporary folder removed) instead of dying wherever
// the signal lands.
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

class StopSignals {
 public:
  StopSignals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// Keeps stepping the simulated world (so the dashboard stays live: idle runners are
// scaled in, the charts move on) until `seconds` have passed, Enter is pressed on a
// terminal, or a stop signal arrives.
void linger(const std::function<void()>& step, double seconds, bool terminal) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!g_stop && std::chrono::steady_clock::now() < until) {
    step();
    if (terminal) {
      pollfd in{STDIN_FILENO, POLLIN, 0};
      if (::poll(&in, 1, 20) > 0) {
        char buf[256];
        const auto n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0 || std::find(buf, buf + n, '\n') != buf + n) break;  // Enter, or the terminal closed
      }
    } else {
      std::this_thread::sleep_for(20ms);
    }
  }
}

// The daemon both sandboxes run: the simulated GitHub at api_url (its token in kTokenEnv),
// one org pool on the simulated cloud, SQLite in the run's directory.
config::Config sandbox_daemon_config(const SandboxOptions& o, const std::filesystem::path& dir, const std::string& api_url,
                                     Duration boot_time) {
  config::Config cfg;
  cfg.source_path = (dir / "sandbox.yaml").string();
  cfg.server.address = "127.0.0.1";
  cfg.server.port = o.port;
  cfg.server.threads = 2;
  cfg.github.api_url = api_url;
  cfg.github.auth.kind = config::GitHubAuth::Kind::kPat;
  cfg.github.auth.token = config::SecretRef{config::SecretRef::Kind::kEnv, kTokenEnv};
  cfg.store.sqlite_path = (dir / "ghscale.db").string();
  config::PoolConfig pool;
  pool.name = "linux";
  pool.labels = LabelSet{"self-hosted", "linux", "x64"};
  pool.scope.kind = config::PoolScope::Kind::kOrg;
  pool.scope.name = "acme";
  pool.max_runners = o.max_runners;
  pool.provider.kind = config::ProviderConfig::Kind::kSim;
  pool.provider.boot_time = boot_time;
  cfg.pools.push_back(pool);
  cfg.logging.level = "warn";
  return cfg;
}

// Starts it on the world's clock and cloud; says why on stderr when it cannot.
Result<std::unique_ptr<Daemon>> start_sandbox_daemon(const config::Config& cfg, std::shared_ptr<Clock> clock,
                                                    std::shared_ptr<provider::Provider> cloud) {
  app::DaemonHooks hooks;
  hooks.clock = std::move(clock);
  hooks.provider_factory = [cloud](const config::PoolConfig&) -> std::shared_ptr<provider::Provider> { return cloud; };
  auto daemon = Daemon::start(cfg, hooks);
  if (!daemon) std::cerr << "ghscale: cannot start the daemon: " << daemon.error().message << "\n";
  return daemon;
}

// What a sandbox's replay does with its world: hand it a job, step it (true once nothing
// is queued or running), and say how it stands for the progress line.
struct ReplaySteps {
  std::function<void(const sandbox::WorkloadJob&)> enqueue;
  std::function<bool(TimePoint now)> step;
  std::function<std::string(TimePoint now)> progress;
};

// Hands every workload job to the world at its time and steps it until all are done, the
// time is up (the workload, its longest job and 15 minutes) or a signal came. On a
// terminal the progress line rewrites itself every second; into a file or a pipe (CI logs)
// it is a line of its own every 10 s, so the log stays readable and short. Then gives the
// daemon a moment to see the last completions. Returns whether every job was done.
bool replay(const SandboxOptions& o, const sandbox::Workload& workload, Clock& clock, TimePoint start,
            const ReplaySteps& steps) {
  Duration longest{0};
  for (const auto& j : workload.jobs) longest = std::max(longest, j.duration);
  const TimePoint stop_by = start + workload.span() + longest + 15min;
  std::size_t next = 0;
  auto last_line = std::chrono::steady_clock::now();
  const bool tty_out = ::isatty(STDOUT_FILENO) == 1;
  const auto line_every = tty_out ? std::chrono::seconds(1) : std::chrono::seconds(10);
  bool done = false;
  while (clock.now() < stop_by && !g_stop) {
    const TimePoint now = clock.now();
    while (next < workload.jobs.size() && start + workload.jobs[next].queued_at <= now) steps.enqueue(workload.jobs[next++]);
    const bool idle = steps.step(now);
    done = next == workload.jobs.size() && idle;
    const auto real_now = std::chrono::steady_clock::now();
    if (!o.quiet && (done || real_now - last_line >= line_every)) {
      last_line = real_now;
      std::printf("%s[%5.1f min] %s%s", tty_out ? "\r" : "", std::chrono::duration<double, std::ratio<60>>(now - start).count(),
                  steps.progress(now).c_str(), tty_out ? "   " : "\n");
      std::fflush(stdout);
    }
    if (done) break;
    std::this_thread::sleep_for(20ms);
  }
  if (!o.quiet && tty_out) std::printf("\n");
  // The daemon keeps running through the report and the linger, so the dashboard shows
  // the whole run.
  if (!g_stop) std::this_thread::sleep_for(scaled(30s, o.speed));
  return done;
}

// The report's verdict, then the dashboard kept up for a while (--linger, or 10 minutes
// at a terminal) while the world goes on, then the daemon stopped.
int end_sandbox(const SandboxOptions& o, bool ok, bool interrupted, const std::string& base,
                const std::function<void()>& step, Daemon& daemon) {
  std::printf("  result          %s\n", ok            ? "OK: every job done, no busy runner terminated"
                                        : interrupted ? "INTERRUPTED before every job was done"
                                                      : "FAILED");
  const bool terminal = ::isatty(STDIN_FILENO) == 1;
  const double stay = interrupted ? 0.0 : o.linger_seconds >= 0 ? o.linger_seconds : (terminal ? 600.0 : 0.0);
  if (stay > 0) {
    std::printf("\ndashboard still up at %s/ui for %.0f s; %s\n", base.c_str(), stay,
                terminal ? "press Enter or Ctrl-C to stop now" : "Ctrl-C to stop now");
    std::fflush(stdout);
    linger(step, stay, terminal);
  }
  daemon.stop();
  return ok ? kExitOk : kExitFailure;
}

// --demand scale_set: the same daemon with no webhook section; jobs are queued at a fake
// Actions service for the pool's scale set, which the daemon learns of from its message
// session. The report says what the webhook one says, with the scale set's side.
int run_scale_set(const SandboxOptions& o, const sandbox::Workload& workload, const std::filesystem::path& dir,
                  bool temporary) {
  constexpr const char* kScaleSet = "linux";
  auto clock = std::make_shared<sandbox::ScaledClock>(system_clock()->now(), o.speed);
  sandbox::ScaleSetWorldOptions wo;
  wo.clock = clock;
  wo.seed = o.seed;
  wo.boot_time = Duration{static_cast<Duration::rep>(o.boot_seconds * 1000)};
  wo.boot_jitter = 10s;
  wo.actions.long_poll = 500ms;  // real time: GitHub holds a poll about 50 s; shortened
  auto started = sandbox::ScaleSetWorld::start(wo);
  if (!started) {
    std::cerr << "ghscale: " << started.error().message << "\n";
    return kExitFailure;
  }
  std::unique_ptr<sandbox::ScaleSetWorld> world = std::move(*started);
  log::add_secret(world->github_token());
  ::setenv(kTokenEnv, world->github_token().c_str(), 1);
  auto cloud = world->cloud();

  config::Config cfg = sandbox_daemon_config(o, dir, world->api_url(), wo.boot_time);
  config::PoolConfig& pool = cfg.pools.front();
  pool.demand = config::Demand::kScaleSet;
  pool.scale_set.name = kScaleSet;
  pool.reuse.enabled = false;  // the world's runners end their instance after their one job
  auto daemon = start_sandbox_daemon(cfg, clock, cloud);
  if (!daemon) return kExitFailure;
  const std::string base = "http://127.0.0.1:" + std::to_string((*daemon)->port());
  std::cout << "ghscale sandbox (scale-set mode): dashboard " << base << "/ui\n"
            << "  " << workload.jobs.size() << " jobs over "
            << std::chrono::duration_cast<std::chrono::minutes>(workload.span()).count() << " virtual minutes at " << o.speed
            << "x, assigned to the scale set \"" << kScaleSet << "\"; no webhook endpoint\n  status  " << base
            << "/api/v1/status\n  metrics " << base << "/metrics\n  data    " << dir.string()
            << (temporary ? " (removed at the end)" : "") << "\n"
            << std::flush;

  const StopSignals stop_signals;
  const TimePoint start = clock->now();
  // Faults spread over the workload's span: sessions lost, acknowledgements failed.
  std::vector<TimePoint> losses;
  for (int i = 1; i <= o.lose_sessions; ++i) losses.push_back(start + workload.span() * i / (o.lose_sessions + 1));
  std::size_t next_loss = 0;
  bool acks_failed = o.unacked == 0;
  auto p_wait = [&](double q) {
    std::vector<double> w;
    for (Duration d : world->waits()) w.push_back(std::chrono::duration<double>(d).count());
    return percentile(std::move(w), q);
  };
  ReplaySteps steps;
  steps.enqueue = [&](const sandbox::WorkloadJob& j) { world->enqueue(kScaleSet, j.duration, j.repo); };
  steps.step = [&](TimePoint now) {
    if (next_loss < losses.size() && now >= losses[next_loss]) {
      world->actions().lose_sessions();
      ++next_loss;
    }
    if (!acks_failed && now >= start + workload.span() / 3) {
      world->actions().inject(fake_actions::FakeFault{"DELETE", "/messages/", 500, o.unacked});
      acks_failed = true;
    }
    world->step();
    const sandbox::ScaleSetWorldCounts c = world->counts();
    return c.queued == 0 && c.running == 0;
  };
  steps.progress = [&](TimePoint now) {
    const sandbox::ScaleSetWorldCounts c = world->counts();
    char line[256];
    std::snprintf(line, sizeof line, "jobs %lld queued %lld running %lld done | instances %d (runners online %lld) | wait p50 %.0fs p95 %.0fs | $%.3f",
                  static_cast<long long>(c.queued), static_cast<long long>(c.running), static_cast<long long>(c.done),
                  cloud->live_count(), static_cast<long long>(c.runners_online), p_wait(0.5), p_wait(0.95), cloud->usage(now).cost());
    return std::string(line);
  };
  const bool done = replay(o, workload, *clock, start, steps);
  const bool interrupted = g_stop;

  const sandbox::ScaleSetWorldCounts c = world->counts();
  const sandbox::CloudUsage& u = c.cloud;
  std::vector<double> waits;
  for (Duration d : world->waits()) waits.push_back(std::chrono::duration<double>(d).count());
  const double max_wait = waits.empty() ? 0.0 : *std::max_element(waits.begin(), waits.end());
  auto& actions = world->actions();
  std::printf("\nsandbox report (scale-set mode)\n");
  std::printf("  jobs            %zu queued by the workload, %lld done, %lld failed (lost runner or canceled), %lld unfinished\n",
              workload.jobs.size(), static_cast<long long>(c.done), static_cast<long long>(c.failed),
              static_cast<long long>(c.queued + c.running));
  std::printf("  queue wait      p50 %.1f s, p95 %.1f s, max %.1f s (boot time %.0f s)\n", percentile(waits, 0.5),
              percentile(waits, 0.95), max_wait, o.boot_seconds);
  std::printf("  instances       %lld launched, busy terminations %lld\n", static_cast<long long>(u.launched),
              static_cast<long long>(c.busy_terminations));
  std::printf("  cost            $%.3f (on-demand %.2f h $%.3f, spot %.2f h $%.3f)\n", u.cost(), u.on_demand_hours,
              u.on_demand_cost, u.spot_hours, u.spot_cost);
  std::printf("  scale set       %lld polls, %lld messages acknowledged, %lld sessions opened; faults: %d sessions lost, %lld acknowledgements failed\n",
              static_cast<long long>(actions.requests("get message")), static_cast<long long>(actions.requests("delete message")),
              static_cast<long long>(actions.requests("create session")), o.lose_sessions,
              static_cast<long long>(std::min<std::int64_t>(o.unacked, actions.requests("fault"))));
  std::printf("  requests        Actions service %lld, GitHub API %lld; webhooks none (no endpoint)\n",
              static_cast<long long>(c.actions_requests), static_cast<long long>(c.github_requests));
  const bool ok = done && c.busy_terminations == 0 && c.failed == 0 && c.not_scale_set == 0;
  return end_sandbox(o, ok, interrupted, base, [&] { world->step(); }, **daemon);
}

}  // namespace

int run_sandbox(const SandboxOptions& o) {
  if (o.speed <= 0 || o.minutes <= 0 || o.jobs_per_hour < 0 || o.max_runners < 1 || o.boot_seconds < 0) {
    std::cerr << "ghscale: --speed, --minutes must be > 0; --jobs-per-hour, --boot-time >= 0; --max-runners >= 1\n";
    return kExitUsage;
  }
  if (o.demand != "webhook" && o.demand != "scale_set") {
    std::cerr << "ghscale: --demand must be webhook or scale_set, got '" << o.demand << "'\n";
    return kExitUsage;
  }
  // --- the workload ---
  sandbox::SyntheticOptions s;
  const auto shape = sandbox::parse_workload_shape(o.synthetic);
  if (!shape) {
    std::cerr << "ghscale: --synthetic must be day or dag, got '" << o.synthetic << "'\n";
    return kExitUsage;
  }
  s.shape = *shape;
  s.seed = o.seed;
  s.length = Duration{static_cast<Duration::rep>(o.minutes * 60e3)};
  s.jobs_per_day = o.jobs_per_hour * 24;
  s.trough_ratio = 1.0;  // an hour: no daily cycle, bursts only
  s.burst_size = 8;
  s.max_duration = 20min;  // the demo ends within its hour
  auto loaded = sandbox::load_workload(o.workload_csv, s);
  if (!loaded.ok()) {
    std::cerr << "ghscale: " << loaded.error().message << "\n";
    return kExitUsage;
  }
  sandbox::Workload workload = std::move(*loaded);

  // --- the data directory ---
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = o.data_dir;
  const bool temporary = dir.empty();
  if (temporary) dir = fs::temp_directory_path() / ("ghscale-sandbox-" + std::to_string(::getpid()) + "-" + random_hex(6));
  // Every run starts GitHub's simulator afresh, its job ids from 1: an earlier run's store
  // would take the new deliveries for jobs it already saw complete, and the run would wait
  // for the sweep. The folder keeps one run for inspection, so a used one is refused.
  if (!temporary && fs::exists(dir / "ghscale.db", ec)) {
    std::cerr << "ghscale: --data-dir " << dir.string()
              << " already holds an earlier run's store (ghscale.db); give an empty or new folder\n";
    return kExitUsage;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "ghscale: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return kExitFailure;
  }
  struct Cleanup {
    fs::path dir;
    bool on;
    ~Cleanup() {
      std::error_code e;
      if (on) fs::remove_all(dir, e);
    }
  } cleanup{dir, temporary};

  log::init(log::Format::kText, log::Level::kWarn, (dir / "ghscale.log").string());
  if (o.demand == "scale_set") {
    // The fake Actions service queues jobs as they come; it has no runs with needs.
    for (const auto& j : workload.jobs) {
      if (!j.needs.empty()) {
        std::cerr << "ghscale: --demand scale_set replays independent jobs; this workload has jobs with needs\n";
        return kExitUsage;
      }
    }
    return run_scale_set(o, workload, dir, temporary);
  }

  // --- simulated GitHub and cloud on a fast clock ---
  auto clock = std::make_shared<sandbox::ScaledClock>(system_clock()->now(), o.speed);
  sandbox::WorldOptions wo;
  wo.clock = clock;
  wo.seed = o.seed;
  wo.boot_time = Duration{static_cast<Duration::rep>(o.boot_seconds * 1000)};
  wo.boot_jitter = 10s;
  wo.reuse_wait = 5s;  // as deploy/runner/bootstrap.sh waits for a next registration
  wo.faults.drop = o.drop;
  wo.faults.duplicate = o.duplicate;
  wo.faults.reorder = o.reorder;
  auto started = sandbox::World::start(wo);
  if (!started) {
    std::cerr << "ghscale: " << started.error().message << "\n";
    return kExitFailure;
  }
  std::unique_ptr<sandbox::World> world = std::move(*started);
  log::add_secret(world->github_token());
  log::add_secret(world->webhook_secret());
  ::setenv(kTokenEnv, world->github_token().c_str(), 1);
  ::setenv(kSecretEnv, world->webhook_secret().c_str(), 1);
  auto cloud = world->cloud();

  // --- the real daemon ---
  config::Config cfg = sandbox_daemon_config(o, dir, world->github_api_url(), wo.boot_time);
  cfg.webhook.secrets = {config::SecretRef{config::SecretRef::Kind::kEnv, kSecretEnv}};
  auto daemon = start_sandbox_daemon(cfg, clock, cloud);
  if (!daemon) return kExitFailure;
  const std::string base = "http://127.0.0.1:" + std::to_string((*daemon)->port());
  // The dashboard first: it is what a new user opens while the replay runs.
  std::cout << "ghscale sandbox: dashboard " << base << "/ui\n"
            << "  " << workload.jobs.size() << " jobs over "
            << std::chrono::duration_cast<std::chrono::minutes>(workload.span()).count() << " virtual minutes at " << o.speed
            << "x\n  status  " << base << "/api/v1/status\n  metrics " << base << "/metrics\n  data    " << dir.string()
            << (temporary ? " (removed at the end)" : "") << "\n"
            << std::flush;

  // --- replay ---
  const StopSignals stop_signals;
  world->set_targets({base + "/webhook"});
  const TimePoint start = clock->now();
  ReplaySteps steps;
  steps.enqueue = [&](const sandbox::WorkloadJob& j) { world->enqueue(j); };
  steps.step = [&](TimePoint) {
    world->step();
    const sandbox::GitHubSimCounts c = world->counts().github;
    return c.queued == 0 && c.runners_busy == 0;
  };
  steps.progress = [&](TimePoint now) {
    const sandbox::GitHubSimCounts c = world->counts().github;
    const auto w = waits_of(world->github().jobs());
    const auto booting = std::max<std::int64_t>(0, cloud->live_count() - c.runners_busy - c.runners_idle);
    char line[256];
    std::snprintf(line, sizeof line, "jobs %lld queued %lld running %lld done | runners %lld booting %lld idle %lld busy | wait p50 %.0fs p95 %.0fs | $%.3f",
                  static_cast<long long>(c.queued), static_cast<long long>(c.running), static_cast<long long>(c.done),
                  static_cast<long long>(booting), static_cast<long long>(c.runners_idle), static_cast<long long>(c.runners_busy),
                  w.p50, w.p95, cloud->usage(now).cost());
    return std::string(line);
  };
  const bool done = replay(o, workload, *clock, start, steps);
  const bool interrupted = g_stop;

  const sandbox::WorldCounts wc = world->counts();
  const sandbox::GitHubSimCounts& c = wc.github;
  const auto jobs = world->github().jobs();
  const auto w = waits_of(jobs);
  const sandbox::CloudUsage u = cloud->usage(clock->now());
  std::printf("\nsandbox report\n");
  std::printf("  jobs            %zu queued by the workload, %lld done, %lld failed (lost runner), %lld unfinished\n",
              workload.jobs.size(), static_cast<long long>(c.done), static_cast<long long>(c.failed),
              static_cast<long long>(c.queued + c.running));
  std::printf("  queue wait      p50 %.1f s, p95 %.1f s, max %.1f s (boot time %.0f s)\n", w.p50, w.p95, w.max, o.boot_seconds);
  std::printf("  instances       %lld launched, busy terminations %lld\n", static_cast<long long>(u.launched),
              static_cast<long long>(c.busy_terminations));
  std::printf("  cost            $%.3f (on-demand %.2f h $%.3f, spot %.2f h $%.3f)\n", u.cost(), u.on_demand_hours,
              u.on_demand_cost, u.spot_hours, u.spot_cost);
  std::printf("  webhooks        %lld delivered, %lld not accepted, %lld dropped, %lld duplicated; GitHub API requests %lld\n",
              static_cast<long long>(wc.posted), static_cast<long long>(wc.not_accepted),
              static_cast<long long>(c.dropped), static_cast<long long>(c.duplicated),
              static_cast<long long>(wc.github_requests));
  const bool ok = done && c.busy_terminations == 0 && wc.not_accepted == 0;
  return end_sandbox(o, ok, interrupted, base, [&] { world->step(); }, **daemon);
}

}  // namespace ghscale::app
