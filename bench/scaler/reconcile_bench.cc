// One reconcile pass at scale, in process: scaler::Reconciler with a MemoryStore, a
// github::RestClient against the fake GitHub on loopback (10,000 runners in the pool's
// org, listed 100 a page with ETags) and the simulated provider (provider::SimCloud)
// holding 10,000 instances, each running a busy runner ghscale registered earlier (the
// store remembers the hand-over), so the pass is pure observation: the steady state of a
// large fleet. Counts the GitHub API requests of a cold pass (empty ETag cache) and a warm
// one (nothing changed), and times both.
//   reconcile_bench [--runners N] [--warm-passes K]
// Goals: <= 101 GitHub calls cold, <= 1 warm. Prints `FIGURE name value unit` lines.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "core/labels.h"
#include "github/rest_client.h"
#include "http/client.h"
#include "provider/sim/sim_cloud.h"
#include "sandbox/fake_github/fake_github.h"
#include "scaler/plan.h"
#include "scaler/reconciler.h"
#include "store/memory_store.h"

namespace ghscale {
namespace {

using namespace std::chrono_literals;

int run(int runners, int warm_passes) {
  const std::string org = "acme", pool_name = "linux", token = "ghp_bench_reconcile_token";
  fake_github::FakeGitHubOptions fo;
  fo.core_limit = 1'000'000;
  auto fake = std::make_shared<fake_github::FakeGitHub>(fo);
  fake->add_pat(token);
  auto server = fake_github::FakeGitHubServer::start(fake, 2);
  if (!server) return std::fprintf(stderr, "reconcile_bench: %s\n", server.error().message.c_str()), 1;

  config::PoolConfig pool;
  pool.name = pool_name;
  pool.labels = LabelSet{"self-hosted", "linux", "x64"};
  pool.scope.kind = config::PoolScope::Kind::kOrg;
  pool.scope.name = org;
  pool.max_runners = 2 * runners;
  pool.min_idle = 0;

  auto clock = system_clock();
  auto cloud = std::make_shared<provider::SimCloud>(provider::SimCloudOptions{.clock = clock, .boot_time = 0s});
  provider::LaunchRequest launch;
  launch.pool = pool_name;
  launch.split.on_demand = runners / 5;
  launch.split.spot = runners - runners / 5;
  launch.client_token = "bench";
  auto launched = cloud->launch(launch);
  if (!launched) return std::fprintf(stderr, "reconcile_bench: %s\n", launched.error().message.c_str()), 1;
  std::vector<std::string> ids = launched->on_demand_ids;
  ids.insert(ids.end(), launched->spot_ids.begin(), launched->spot_ids.end());
  if (static_cast<int>(ids.size()) != runners) return std::fprintf(stderr, "reconcile_bench: launched %zu\n", ids.size()), 1;
  if (auto st = cloud->protect(ids, true); !st.ok()) return std::fprintf(stderr, "reconcile_bench: protect failed\n"), 1;

  std::shared_ptr<store::Store> store = store::make_memory_store(clock);
  const TimePoint now = clock->now();
  for (const auto& id : ids) {
    fake_github::FakeRunner r;
    r.scope = "orgs/" + org;
    r.name = scaler::runner_name_for(pool_name, id);
    r.online = true;
    r.busy = true;
    r.labels = {"self-hosted", "linux", "x64"};
    Instance rec;
    rec.pool = pool_name;
    rec.instance_id = id;
    rec.state = InstanceState::kBusy;
    rec.runner_id = fake->add_runner(r);
    rec.runner_name = r.name;
    rec.launched_at = now - 1h;
    rec.registered_at = now - 59min;
    rec.last_busy_at = now;
    if (auto st = store->upsert_instance(rec); !st.ok()) return std::fprintf(stderr, "reconcile_bench: store\n"), 1;
  }

  github::RestClientOptions go;
  go.api_url = (*server)->api_url();
  go.clock = clock;
  github::Credentials credentials;
  credentials.token = token;
  auto client = github::RestClient::create(go, credentials, http::make_curl_client({.user_agent = "ghscale-bench"}));
  if (!client) return std::fprintf(stderr, "reconcile_bench: %s\n", client.error().message.c_str()), 1;

  scaler::ReconcilerOptions ro;
  ro.pools.push_back(scaler::PoolBinding{pool, cloud});
  ro.holder = "bench:1";
  ro.clock = clock;
  ro.store = store;
  ro.github = std::shared_ptr<github::GitHubApi>(std::move(*client));
  scaler::Reconciler reconciler(std::move(ro));

  struct Pass {
    std::int64_t calls = 0;
    std::int64_t quota = 0;  // of those, charged to the token's core quota (a 304 is free)
    double ms = 0;
    scaler::PassReport report;
  };
  auto one_pass = [&] {
    Pass p;
    const std::int64_t before = fake->requests();
    const std::int64_t remaining_before = fake->remaining(token, "core");
    const auto t0 = std::chrono::steady_clock::now();
    p.report = reconciler.run_pass(scaler::PassKind::kTick);
    p.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    p.calls = fake->requests() - before;
    p.quota = remaining_before - fake->remaining(token, "core");
    return p;
  };
  const Pass cold = one_pass();
  Pass warm;
  double warm_ms_sum = 0;
  std::int64_t warm_calls_max = 0, warm_quota_max = 0;
  for (int k = 0; k < warm_passes; ++k) {
    warm = one_pass();
    warm_ms_sum += warm.ms;
    warm_calls_max = std::max(warm_calls_max, warm.calls);
    warm_quota_max = std::max(warm_quota_max, warm.quota);
  }
  const bool steady = cold.report.acted && cold.report.errors == 0 && warm.report.errors == 0 &&
                      !warm.report.pools.empty() && warm.report.pools[0].counts.busy == runners;
  const auto describe = [](const Pass& p) {
    const auto& pr = p.report.pools.empty() ? scaler::PoolPassReport{} : p.report.pools[0];
    return "action " + std::string(scaler::to_string(pr.action)) + ", busy " + std::to_string(pr.counts.busy) + ", errors " +
           std::to_string(p.report.errors) + ", actions logged " + std::to_string(p.report.actions);
  };
  std::printf("reconcile at scale: %d runners (fake GitHub, 100 a page) and %d instances (sim provider)\n", runners, runners);
  std::printf("  cold pass: %lld GitHub calls (%lld charged to the quota), %.1f ms (%s)\n",
              static_cast<long long>(cold.calls), static_cast<long long>(cold.quota), cold.ms, describe(cold).c_str());
  std::printf("  warm pass: %lld GitHub calls (%lld charged to the quota; most of %d passes), %.1f ms mean (%s)\n",
              static_cast<long long>(warm_calls_max), static_cast<long long>(warm_quota_max), warm_passes,
              warm_ms_sum / warm_passes, describe(warm).c_str());
  std::printf("FIGURE reconcile_cold_calls %lld calls\nFIGURE reconcile_warm_calls %lld calls\n"
              "FIGURE reconcile_cold_quota %lld calls\nFIGURE reconcile_warm_quota %lld calls\n"
              "FIGURE reconcile_cold_ms %.2f ms\nFIGURE reconcile_warm_ms %.2f ms\n",
              static_cast<long long>(cold.calls), static_cast<long long>(warm_calls_max),
              static_cast<long long>(cold.quota), static_cast<long long>(warm_quota_max), cold.ms,
              warm_ms_sum / warm_passes);
  if (!steady) {
    std::fprintf(stderr, "reconcile_bench: the pass did not see the steady fleet it was given\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ghscale

int main(int argc, char** argv) {
  int runners = 10000, warm = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--runners") runners = std::atoi(argv[i + 1]);
    else if (a == "--warm-passes") warm = std::atoi(argv[i + 1]);
    else return std::cerr << "usage: reconcile_bench [--runners N] [--warm-passes K]\n", 2;
  }
  if (argc % 2 == 0 || runners < 1 || warm < 1) return std::cerr << "usage: reconcile_bench [--runners N] [--warm-passes K]\n", 2;
  return ghscale::run(runners, warm);
}
