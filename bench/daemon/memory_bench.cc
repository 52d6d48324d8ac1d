// Memory of `ghscale serve` (SQLite store): VmRSS and VmHWM from /proc, idle (listening,
// lease held, nothing to do), then loaded: N signed `queued` deliveries sent by the
// sandbox's world as GitHub would, max_runners N, so the daemon ends up tracking N queued
// jobs, N launched instances and N runners registered (JIT) at the fake GitHub. The
// instances never finish booting, so the load holds while it is measured.
//   memory_bench --ghscale PATH [--jobs N]
// Prints a summary and `FIGURE name value unit` lines for bench/run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/labels.h"
#include "daemon/daemon_process.h"
#include "sandbox/cloud_server.h"
#include "sandbox/world.h"

namespace ghscale::bench {
namespace {

using namespace std::chrono_literals;

int usage() {
  std::cerr << "usage: memory_bench --ghscale PATH [--jobs N]\n";
  return 2;
}

// The highest VmRSS and VmHWM over `span`, sampled every 100 ms.
MemoryUse sample(const DaemonProcess& d, Duration span) {
  MemoryUse most;
  const auto until = std::chrono::steady_clock::now() + span;
  do {
    if (auto m = d.memory(); m.ok()) {
      most.rss_mb = std::max(most.rss_mb, m->rss_mb);
      most.hwm_mb = std::max(most.hwm_mb, m->hwm_mb);
    }
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < until);
  return most;
}

int run(const std::string& binary, int jobs) {
  TempDir dir("ghscale-bench-memory");
  sandbox::WorldOptions wo;
  wo.clock = system_clock();
  wo.boot_time = 24h;
  wo.faults.latency = 0s;
  auto world = sandbox::World::start(wo);
  if (!world) return std::fprintf(stderr, "memory_bench: %s\n", world.error().message.c_str()), 1;
  auto cloud = sandbox::CloudServer::start((*world)->cloud(), system_clock());
  if (!cloud) return std::fprintf(stderr, "memory_bench: %s\n", cloud.error().message.c_str()), 1;

  const auto config = dir.path() / "ghscale.yaml";
  std::ofstream(config) << "server: {address: 127.0.0.1, port: 0, threads: 2}\n"
                        << "github:\n  api_url: " << (*world)->github_api_url()
                        << "\n  auth: {pat: {token: env:BENCH_GITHUB_TOKEN}}\n"
                        << "webhook: {secrets: [env:BENCH_WEBHOOK_SECRET]}\n"
                        << "store: {sqlite: {path: " << (dir.path() / "ghscale.db").string() << "}}\n"
                        << "reconcile: {launch_rate: 100000, launch_burst: 100000}\n"
                        << "logging: {format: json, level: info}\n"
                        << "pools:\n"
                        << "  - name: linux\n"
                        << "    labels: [linux, x64]\n"
                        << "    scope: {org: acme}\n"
                        << "    provider: {type: sim, endpoint_url: \"" << (*cloud)->endpoint_url() << "\"}\n"
                        << "    min_idle: 0\n"
                        << "    max_runners: " << jobs << "\n"
                        << "    cooldown: 0s\n"
                        << "    boot_timeout: 24h\n";
  auto daemon = DaemonProcess::start(binary, config,
                                     {"BENCH_GITHUB_TOKEN=" + (*world)->github_token(),
                                      "BENCH_WEBHOOK_SECRET=" + (*world)->webhook_secret()},
                                     dir.path() / "ghscale.log");
  if (!daemon) return std::fprintf(stderr, "memory_bench: %s\n", daemon.error().message.c_str()), 1;

  std::this_thread::sleep_for(2s);  // start-up done, first passes run
  const MemoryUse idle = sample(**daemon, 1s);

  (*world)->set_targets({(*daemon)->url("/webhook")});
  for (int i = 0; i < jobs; ++i) {
    sandbox::WorkloadJob j;
    j.labels = LabelSet{"self-hosted", "linux", "x64"};
    j.duration = 10min;
    (*world)->enqueue(j);
  }
  const auto started = std::chrono::steady_clock::now();
  bool loaded = false;
  while (std::chrono::steady_clock::now() - started < 600s) {
    (*world)->step();  // sends the due deliveries (all of them, at once)
    const auto c = (*world)->counts();
    if (c.cloud.hand_overs >= jobs && c.posted >= jobs) {
      loaded = true;
      break;
    }
    if (!(*daemon)->running()) break;
    std::this_thread::sleep_for(50ms);
  }
  const auto c = (*world)->counts();
  const auto runners = (*world)->fake_github().runners("orgs/acme").size();
  if (!loaded) {
    std::fprintf(stderr, "memory_bench: the daemon did not reach the load (posted %lld, not accepted %lld, launched %lld, handed over %lld)\n%s\n",
                 static_cast<long long>(c.posted), static_cast<long long>(c.not_accepted),
                 static_cast<long long>(c.cloud.launched), static_cast<long long>(c.cloud.hand_overs),
                 (*daemon)->log_tail().c_str());
    return 1;
  }
  std::this_thread::sleep_for(2s);  // a few more passes over the full load
  const MemoryUse full = sample(**daemon, 2s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("memory: idle VmRSS %.1f MB (VmHWM %.1f MB); loaded with %d queued jobs, %lld instances, %zu runners: "
              "VmRSS %.1f MB (VmHWM %.1f MB), load reached in %.1f s\n",
              idle.rss_mb, idle.hwm_mb, jobs, static_cast<long long>(c.cloud.launched), runners, full.rss_mb,
              full.hwm_mb, seconds);
  std::printf("FIGURE memory_idle_rss_mb %.1f MB\nFIGURE memory_idle_hwm_mb %.1f MB\n"
              "FIGURE memory_loaded_rss_mb %.1f MB\nFIGURE memory_loaded_hwm_mb %.1f MB\n"
              "FIGURE memory_loaded_jobs %d jobs\nFIGURE memory_loaded_runners %zu runners\n",
              idle.rss_mb, idle.hwm_mb, full.rss_mb, full.hwm_mb, jobs, runners);
  return 0;
}

}  // namespace
}  // namespace ghscale::bench

int main(int argc, char** argv) {
  std::string binary;
  int jobs = 10000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return ghscale::bench::usage();
    if (a == "--ghscale") binary = argv[++i];
    else if (a == "--jobs") jobs = std::atoi(argv[++i]);
    else return ghscale::bench::usage();
  }
  if (binary.empty() || jobs < 1) return ghscale::bench::usage();
  return ghscale::bench::run(binary, jobs);
}
