// Reaction time of `ghscale serve`: from a signed `queued` delivery accepted (the sender
// has its 2xx) to the launch call received by the provider. Each delivery is a new job
// that needs a new instance (max_runners high, cooldown 0, instances that never finish
// booting), sent one at a time, `gap` after the previous launch's hand-over: a delivery
// after a quiet spell longer than the loop's debounce (50 ms by default), which the loop
// acts on at once (its leading edge). Each figure is one isolated reaction. Providers:
// - sim: the sandbox's simulated cloud served over loopback (type sim with endpoint_url),
//   which stamps every call on arrival (millisecond clock);
// - aws_asg / aws_fleet: the fake AWS endpoint (SigV4 checked, botocore models) in this
//   process; the launch call is SetDesiredCapacity / CreateFleet, seen by polling the
//   fake's request counter every 100 us (it counts a request on arrival, once parsed).
//   reaction_bench --ghscale PATH [--deliveries N] [--debounce 50ms] [--gap-ms 60]
//                  [--provider sim|aws_asg|aws_fleet]
// Prints a summary and `FIGURE name value unit` lines for bench/run.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/labels.h"
#include "daemon/daemon_process.h"
#include "http/client.h"
#include "sandbox/cloud_server.h"
#include "sandbox/github_sim.h"
#include "sandbox/world.h"
#ifdef GHSCALE_BENCH_FAKE_AWS
#include "fakes/aws/fake_aws.h"
#endif

namespace ghscale::bench {
namespace {

using namespace std::chrono_literals;

struct Options {
  std::string ghscale;
  int deliveries = 1000;
  std::string debounce;  // empty: the daemon's default
  std::string provider = "sim";
  int gap_ms = 60;
};

// Where the launch calls and hand-overs of the daemon arrive, with their arrival times.
class CloudWatch {
 public:
  virtual ~CloudWatch() = default;
  virtual std::string provider_yaml() const = 0;
  virtual std::vector<TimePoint> launches() = 0;
  virtual std::size_t hand_overs() = 0;
};

class SimWatch final : public CloudWatch {
 public:
  explicit SimWatch(std::unique_ptr<sandbox::CloudServer> server) : server_(std::move(server)) {}
  std::string provider_yaml() const override {
    return "{type: sim, endpoint_url: \"" + server_->endpoint_url() + "\"}";
  }
  std::vector<TimePoint> launches() override {
    std::vector<TimePoint> out;
    for (const auto& c : server_->calls()) {
      if (c.op == "launch") out.push_back(c.at);
    }
    return out;
  }
  std::size_t hand_overs() override {
    const auto calls = server_->calls();
    return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [](const auto& c) { return c.op == "hand-over"; }));
  }

 private:
  std::unique_ptr<sandbox::CloudServer> server_;
};

#ifdef GHSCALE_BENCH_FAKE_AWS
class AwsWatch final : public CloudWatch {
 public:
  AwsWatch(std::unique_ptr<fakes::FakeAws> fake, std::string provider_yaml, std::string launch_op)
      : fake_(std::move(fake)), yaml_(std::move(provider_yaml)), op_(std::move(launch_op)) {
    poller_ = std::thread([this] {
      int seen = 0;
      while (!stop_) {
        const int n = fake_->request_count(op_);
        if (n > seen) {
          const TimePoint now = system_clock()->now();
          std::lock_guard lock(mu_);
          for (; seen < n; ++seen) times_.push_back(now);
        }
        std::this_thread::sleep_for(100us);
      }
    });
  }
  ~AwsWatch() override {
    stop_ = true;
    poller_.join();
    fake_->shutdown();
  }
  std::string provider_yaml() const override { return yaml_; }
  std::vector<TimePoint> launches() override {
    std::lock_guard lock(mu_);
    return times_;
  }
  std::size_t hand_overs() override { return static_cast<std::size_t>(fake_->request_count("PutParameter")); }
  const fakes::FakeAws& fake() const { return *fake_; }

 private:
  std::unique_ptr<fakes::FakeAws> fake_;
  std::string yaml_, op_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<TimePoint> times_;  // guarded by mu_
  std::thread poller_;
};

Result<std::unique_ptr<CloudWatch>> start_fake_aws(const std::string& kind) {
  const char* env = std::getenv("GHSCALE_TESTDATA");
  fakes::FakeAwsOptions fo;
  fo.models_dir = std::filesystem::path(env != nullptr && *env != '\0' ? env : GHSCALE_TESTDATA_DEFAULT) / "aws-models";
  if (!std::filesystem::exists(fo.models_dir)) {
    return make_error(ErrorKind::kNotFound, "the fake AWS needs the botocore models in " + fo.models_dir.string() +
                                                " (set GHSCALE_TESTDATA)");
  }
  auto fake = fakes::FakeAws::start(fo);
  if (!fake) return fake.error();
  const std::string common = "region: us-east-1, endpoint_url: \"" + (*fake)->endpoint() + "\", ssm_prefix: /ghscale";
  if (kind == "aws_asg") {
    fakes::FakeGroup g;
    g.name = "runners";
    g.max_size = 100000;
    g.tags = {{"ghscale:pool", "linux"}};
    (*fake)->add_group(g);
    return std::unique_ptr<CloudWatch>(
        new AwsWatch(std::move(*fake), "{type: aws_asg, asg_name: runners, " + common + "}", "SetDesiredCapacity"));
  }
  fakes::FakeLaunchTemplate lt;
  lt.name = "runner-template";
  lt.instance_type = "m7i.large";
  (*fake)->add_launch_template(lt);
  return std::unique_ptr<CloudWatch>(new AwsWatch(
      std::move(*fake),
      "{type: aws_fleet, launch_template: runner-template, instance_types: [m7i.large, m6i.large], subnets: [subnet-a], " +
          common + "}",
      "CreateFleet"));
}
#endif

int usage() {
  std::cerr << "usage: reaction_bench --ghscale PATH [--deliveries N] [--debounce DURATION] [--gap-ms N] [--provider sim|aws_asg|aws_fleet]\n";
  return 2;
}

int run(const Options& o) {
  TempDir dir("ghscale-bench-reaction");
  sandbox::WorldOptions wo;
  wo.clock = system_clock();
  wo.boot_time = 24h;  // launched instances stay booting: every new job needs a new one
  auto world = sandbox::World::start(wo);
  if (!world) return std::fprintf(stderr, "reaction_bench: %s\n", world.error().message.c_str()), 1;
  std::unique_ptr<CloudWatch> cloud;
  if (o.provider == "sim") {
    auto server = sandbox::CloudServer::start((*world)->cloud(), system_clock());
    if (!server) return std::fprintf(stderr, "reaction_bench: %s\n", server.error().message.c_str()), 1;
    cloud = std::make_unique<SimWatch>(std::move(*server));
  } else {
#ifdef GHSCALE_BENCH_FAKE_AWS
    auto fake = start_fake_aws(o.provider);
    if (!fake) return std::fprintf(stderr, "reaction_bench: %s\n", fake.error().message.c_str()), 1;
    cloud = std::move(*fake);
#else
    return std::fprintf(stderr, "reaction_bench: built without the fake AWS (tests/fakes/aws)\n"), 1;
#endif
  }

  const auto config = dir.path() / "ghscale.yaml";
  std::ofstream(config) << "server: {address: 127.0.0.1, port: 0, threads: 2}\n"
                        << "github:\n  api_url: " << (*world)->github_api_url()
                        << "\n  auth: {pat: {token: env:BENCH_GITHUB_TOKEN}}\n"
                        << "webhook: {secrets: [env:BENCH_WEBHOOK_SECRET]}\n"
                        << "store: {sqlite: {path: " << (dir.path() / "ghscale.db").string() << "}}\n"
                        // The launch bucket (10/s by default) would otherwise pace a long run.
                        << "reconcile: {launch_rate: 100000, launch_burst: 100000"
                        << (o.debounce.empty() ? "" : ", debounce: " + o.debounce) << "}\n"
                        << "logging: {format: json, level: info}\n"
                        << "pools:\n"
                        << "  - name: linux\n"
                        << "    labels: [linux, x64]\n"
                        << "    scope: {org: acme}\n"
                        << "    provider: " << cloud->provider_yaml() << "\n"
                        << "    min_idle: 0\n"
                        << "    max_runners: 100000\n"
                        << "    cooldown: 0s\n"
                        << "    boot_timeout: 24h\n";
  auto daemon = DaemonProcess::start(o.ghscale, config,
                                     {"BENCH_GITHUB_TOKEN=" + (*world)->github_token(),
                                      "BENCH_WEBHOOK_SECRET=" + (*world)->webhook_secret(),
                                      // The fake AWS's keys; nothing here reaches a real account.
                                      "AWS_ACCESS_KEY_ID=AKIDFAKEEXAMPLE", "AWS_SECRET_ACCESS_KEY=fake/secret/key",
                                      "AWS_REGION=us-east-1"},
                                     dir.path() / "ghscale.log");
  if (!daemon) return std::fprintf(stderr, "reaction_bench: %s\n", daemon.error().message.c_str()), 1;
  // The first pass takes the lease; only then does a delivery meet a daemon ready to act.
  std::this_thread::sleep_for(1500ms);

  auto client = http::make_curl_client({.timeout = 10s, .user_agent = "GitHub-Hookshot/bench"});
  const std::string url = (*daemon)->url("/webhook");
  std::vector<double> reaction_ms;
  reaction_ms.reserve(static_cast<std::size_t>(o.deliveries));
  int failures = 0;
  for (int i = 0; i < o.deliveries; ++i) {
    const std::size_t launches_before = cloud->launches().size();
    JobEvent e;
    e.delivery_id = "bench-reaction-" + std::to_string(i);
    e.event = "workflow_job";
    e.action = "queued";
    e.status = JobStatus::kQueued;
    e.job_id = 7'000'000 + i;
    e.run_id = 8'000'000 + i;
    e.repository = "acme/app";
    e.owner = "acme";
    e.labels = LabelSet{"self-hosted", "linux", "x64"};
    e.created_at = system_clock()->now();
    http::ClientRequest req;
    req.method = "POST";
    req.url = url;
    req.body = sandbox::render_workflow_job_payload(e);
    for (const auto& [k, v] : sandbox::delivery_headers(e, req.body, (*world)->webhook_secret())) req.headers.set(k, v);
    auto resp = client->send(req);
    const TimePoint accepted = system_clock()->now();
    if (!resp.ok() || resp->status / 100 != 2) {
      ++failures;
      std::fprintf(stderr, "reaction_bench: delivery %d not accepted: %s\n", i,
                   resp.ok() ? std::to_string(resp->status).c_str() : resp.error().message.c_str());
      continue;
    }
    // Wait for this job's launch, then for its hand-over, so the next delivery meets an idle daemon.
    const auto until = std::chrono::steady_clock::now() + 10s;
    std::optional<TimePoint> launched;
    while (std::chrono::steady_clock::now() < until) {
      const auto times = cloud->launches();
      if (times.size() > launches_before) launched = times[launches_before];
      if (launched && cloud->hand_overs() >= launches_before + 1) break;
      std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(o.gap_ms));
    if (!launched) {
      ++failures;
      std::fprintf(stderr, "reaction_bench: no launch within 10 s of delivery %d\n%s\n", i, (*daemon)->log_tail().c_str());
      if (failures > 3) break;
      continue;
    }
    reaction_ms.push_back(std::chrono::duration<double, std::milli>(*launched - accepted).count());
  }
  if (reaction_ms.empty()) return std::fprintf(stderr, "reaction_bench: nothing measured\n"), 1;
  const double p50 = percentile(reaction_ms, 0.50), p99 = percentile(reaction_ms, 0.99);
  const double max = *std::max_element(reaction_ms.begin(), reaction_ms.end());
  std::printf("reaction (%s provider, debounce %s, %d ms quiet before each): %zu deliveries, p50 %.2f ms, p99 %.2f ms, "
              "max %.2f ms\n",
              o.provider.c_str(), o.debounce.empty() ? "default" : o.debounce.c_str(), o.gap_ms, reaction_ms.size(), p50,
              p99, max);
  std::printf("FIGURE reaction_p50_ms %.3f ms\nFIGURE reaction_p99_ms %.3f ms\nFIGURE reaction_deliveries %zu deliveries\n",
              p50, p99, reaction_ms.size());
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ghscale::bench

int main(int argc, char** argv) {
  ghscale::bench::Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return ghscale::bench::usage();
    if (a == "--ghscale") o.ghscale = argv[++i];
    else if (a == "--deliveries") o.deliveries = std::atoi(argv[++i]);
    else if (a == "--debounce") o.debounce = argv[++i];
    else if (a == "--provider") o.provider = argv[++i];
    else if (a == "--gap-ms") o.gap_ms = std::atoi(argv[++i]);
    else return ghscale::bench::usage();
  }
  if (o.ghscale.empty() || o.deliveries < 1 || (o.provider != "sim" && o.provider != "aws_asg" && o.provider != "aws_fleet")) {
    return ghscale::bench::usage();
  }
  return ghscale::bench::run(o);
}
