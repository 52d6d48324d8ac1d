// `ghscale serve` as a process on real AWS providers (issue #8): the sandbox's world (a
// GitHub simulator mirrored into the fake GitHub REST server, sending signed workflow_job
// deliveries) and the fake AWS endpoint in this process (SigV4 verified, full botocore
// models). The daemon scales an aws_asg or an aws_fleet pool through the standard
// AWS_ENDPOINT_URL; an "instance agent" thread plays deploy/runner/bootstrap.sh on every
// instance: it reads the instance's parameter /ghscale/runners/<id> through the real SSM
// API with the instance role's credentials, deletes it, and starts the runner with that
// JIT config (tells the simulator the instance is ready). An ephemeral runner's instance
// shuts itself down after its job; an Auto Scaling group replaces it, as AWS does, and the
// daemon takes that capacity away when it is idle.
//
// What must hold: all 100 jobs of a burst complete; never more live instances than
// max_runners; each instance that ran a job got its config through SSM and none is left
// behind; no config in the daemon's log; no busy instance is terminated, and idle ones are
// deregistered before they are terminated; the ASG pool protects busy instances and scales
// in only by TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity=true;
// a spot instance reclaimed under its job has the job run again and served. And with EC2
// and GitHub lagging behind what happened and the markets swapped, both pools serve the
// 100 jobs within max_runners (by the fake's own record) and leave no registration behind.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <set>
#include <thread>

#include "aws/aws_client.h"
#include "aws/services/ssm.h"
#include "fakes/aws/fake_aws.h"
#include "http/client.h"
#include "provider/provider.h"
#include "sandbox/world.h"
#include "support/http_client.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Subprocess;

constexpr int kMaxRunners = 15;
constexpr int kJobs = 100;
constexpr const char* kPool = "linux";
constexpr const char* kGroup = "ghscale-linux";
constexpr const char* kScope = "orgs/acme";
// The daemon's keys, and the instance role's temporary credentials the bootstrap uses.
constexpr const char* kDaemonKey = "AKIDFAKEEXAMPLE";
constexpr const char* kDaemonSecret = "fake/secret/key";
constexpr const char* kInstanceKey = "ASIAINSTANCEROLE";
constexpr const char* kInstanceSecret = "instance/role/secret";
constexpr const char* kInstanceToken = "instance-role-session-token";

enum class PoolKind { kAsg, kFleet };

bool is_live(const fakes::FakeInstance& i) {
  return i.state != "terminated" && i.state != "shutting-down";
}

std::string tag(const fakes::FakeInstance& i, const std::string& key) {
  for (const auto& [k, v] : i.tags) {
    if (k == key) return v;
  }
  return {};
}

// The instance side ending itself: the bootstrap's `shutdown -h` after its runner's one
// job, under the launch template's terminate shutdown behaviour. The simulator calls this
// for an ephemeral runner whose job completed; nothing else of a Provider is used.
class InstanceShutdown final : public provider::Provider {
 public:
  explicit InstanceShutdown(fakes::FakeAws& aws) : aws_(aws) {}

  Result<std::vector<provider::CloudInstance>> describe(std::string_view) override {
    return std::vector<provider::CloudInstance>{};
  }
  Result<provider::LaunchOutcome> launch(const provider::LaunchRequest&) override {
    return make_error(ErrorKind::kInvalid, "the instance side launches nothing");
  }
  Status terminate(const std::vector<std::string>& ids) override {
    for (const auto& id : ids) {
      {
        std::lock_guard lock(mu_);
        ended_.insert(id);  // before it ends: the agent must never see it gone but unexplained
      }
      aws_.end_instance(id, "instance-initiated shutdown after its job");
    }
    return ok_status();
  }
  Status protect(const std::vector<std::string>&, bool) override { return ok_status(); }
  Status hand_over(std::string_view, const provider::Registration&) override {
    return make_error(ErrorKind::kInvalid, "the instance side hands nothing over");
  }

  bool ended(const std::string& id) const {
    std::lock_guard lock(mu_);
    return ended_.count(id) != 0;
  }

 private:
  fakes::FakeAws& aws_;
  mutable std::mutex mu_;
  std::set<std::string> ended_;
};

// What the agent saw, for the assertions.
struct AgentReport {
  std::map<std::string, std::string> runner_by_instance;  // instances whose config it read
  std::vector<std::string> values;                        // every config read
  std::vector<std::string> problems;                      // configs it could not use
  std::vector<std::string> ended_by_daemon;               // gone, neither by itself nor reclaimed
  std::vector<std::string> terminated_while_registered;   // of those, runner not deregistered first
  std::vector<std::string> terminated_while_busy;         // of those, runner had a job
  int peak_live = 0;
  bool witness_protected = false;  // ASG: the witness job's instance seen protected during the job
};

class ServeAwsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto td = testing::testdata_dir();
    if (!td) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
    dir_ = fs::temp_directory_path() / ("ghscale-serve-aws-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);

    fakes::FakeAwsOptions fo;
    fo.models_dir = *td / "aws-models";
    fo.credentials = {{kDaemonKey, kDaemonSecret}};
    fo.record_requests = true;
    auto fake = fakes::FakeAws::start(fo);
    ASSERT_TRUE(fake.ok()) << fake.error().message;
    aws_ = std::move(*fake);
    aws_->add_credentials(kInstanceKey, kInstanceSecret, kInstanceToken);
    shutdown_ = std::make_shared<InstanceShutdown>(*aws_);

    sandbox::WorldOptions wo;
    wo.clock = system_clock();
    wo.seed = 23;
    wo.faults.latency = 20ms;
    wo.cloud = shutdown_;
    auto world = sandbox::World::start(wo);
    ASSERT_TRUE(world.ok()) << world.error().message;
    world_ = std::move(*world);

    aws::AwsClientOptions co;
    co.http = http::make_curl_client({.connect_timeout = 2s, .timeout = 10s});
    co.credentials = aws::make_static_provider(aws::Credentials{kInstanceKey, kInstanceSecret, kInstanceToken});
    ssm_ = std::make_unique<aws::SsmClient>(
        std::make_shared<aws::AwsClient>(aws::Service::kSsm, "us-east-1", aws_->endpoint(), std::move(co)));

    stepper_ = std::thread([this] {
      while (!stop_) {
        world_->step();
        std::this_thread::sleep_for(10ms);
      }
    });
  }

  void TearDown() override {
    if (daemon_ && (HasFailure() || std::getenv("GHSCALE_TEST_KEEP_LOGS") != nullptr)) {
      // The whole log, for what the diagnostics' tail does not show.
      const fs::path log = fs::temp_directory_path() / (dir_.filename().string() + ".daemon.log");
      std::ofstream(log) << daemon_->err();
      std::cerr << "daemon log kept in " << log.string() << "\n";
    }
    if (daemon_) daemon_->signal(SIGKILL);
    stop_ = true;
    if (agent_.joinable()) agent_.join();
    if (stepper_.joinable()) stepper_.join();
    daemon_.reset();
    world_.reset();
    if (aws_) aws_->shutdown();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The pool's cloud side, as an operator would have set it up.
  void set_up_cloud(PoolKind kind) {
    kind_ = kind;
    fakes::FakeLaunchTemplate lt;
    lt.name = "runner-template";
    lt.instance_type = "m7i.large";
    lt.user_data = testing::read_file(testing::source_dir() / "deploy/runner/bootstrap.sh");
    aws_->add_launch_template(lt);
    if (kind == PoolKind::kAsg) {
      fakes::FakeGroup g;
      g.name = kGroup;
      g.min_size = 0;
      g.max_size = 30;  // above max_runners: the pool's cap is the one under test
      g.launch_template = "runner-template";
      g.on_demand_base = 1;
      g.instance_types = {"m7i.large", "m6i.large", "m5.large"};
      g.tags = {{"ghscale:pool", kPool}};
      aws_->add_group(g);
    }
  }

  bool in_pool(const fakes::FakeInstance& i) const {
    return kind_ == PoolKind::kAsg ? i.group == kGroup : tag(i, "ghscale:pool") == kPool;
  }

  std::string write_config() {
    const std::string provider =
        kind_ == PoolKind::kAsg
            ? std::string("{type: aws_asg, asg_name: ") + kGroup + "}"
            : "{type: aws_fleet, launch_template: runner-template, instance_types: [m7i.large, m6i.large], "
              "subnets: [subnet-a, subnet-b]}";
    const fs::path path = dir_ / "ghscale.yaml";
    std::ofstream(path) << "server: {address: 127.0.0.1, port: 0, threads: 2}\n"
                        << "github:\n  api_url: " << world_->github_api_url()
                        << "\n  auth: {pat: {token: env:GHSCALE_TEST_GITHUB_TOKEN}}\n"
                        << "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                        << "store: {sqlite: {path: " << (dir_ / "ghscale.db").string() << "}}\n"
                        << "reconcile: {tick: " << tick_.count() << "ms, sweep: 3s, debounce: 20ms, lease_ttl: 3s}\n"
                        << "logging: {format: json, level: info}\n"
                        << "pools:\n"
                        << "  - name: " << kPool << "\n"
                        << "    labels: [linux, x64]\n"
                        << "    scope: {org: acme}\n"
                        << "    provider: " << provider << "\n"
                        << "    min_idle: 0\n"
                        << "    max_runners: " << kMaxRunners << "\n"
                        << "    on_demand_base: 1\n"
                        << "    cooldown: 0s\n"
                        << "    idle_timeout: 2s\n"
                        << "    min_lifetime: 0s\n"
                        << "    boot_timeout: 60s\n";
    return path.string();
  }

  void start_daemon() {
    const std::vector<std::string> env = {"GHSCALE_TEST_GITHUB_TOKEN=" + world_->github_token(),
                                          "GHSCALE_TEST_WEBHOOK_SECRET=" + world_->webhook_secret(),
                                          std::string("AWS_ACCESS_KEY_ID=") + kDaemonKey,
                                          std::string("AWS_SECRET_ACCESS_KEY=") + kDaemonSecret,
                                          "AWS_REGION=us-east-1",
                                          "AWS_ENDPOINT_URL=" + aws_->endpoint(),
                                          "AWS_EC2_METADATA_DISABLED=true",
                                          "AWS_CONFIG_FILE=/nonexistent",
                                          "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"};
    daemon_ = std::make_unique<Subprocess>(
        std::vector<std::string>{testing::ghscale_binary().string(), "serve", "--config", write_config()}, env);
    static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
    std::smatch m;
    const bool up =
        daemon_->wait_for_stderr([&](const std::string& e) { return std::regex_search(e, m, kListening); }, 20s);
    ASSERT_TRUE(up) << daemon_->err();
    port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
    world_->set_targets({"http://127.0.0.1:" + std::to_string(port_) + "/webhook"});
  }

  // --- the instance agent: deploy/runner/bootstrap.sh on every instance of the pool ---

  void start_agent() {
    agent_ = std::thread([this] {
      while (!stop_) {
        agent_pass();
        std::this_thread::sleep_for(50ms);
      }
    });
  }

  void agent_pass() {
    const TimePoint now = system_clock()->now();
    int live = 0;
    for (const fakes::FakeInstance& i : aws_->instances()) {
      if (!in_pool(i)) continue;
      if (is_live(i)) {
        ++live;
        // The bootstrap starts once the instance has booted, and polls for its parameter.
        if (i.state == "running" && !started_.count(i.id) && now - i.launch_time >= kBootTime &&
            now >= next_poll_[i.id]) {
          next_poll_[i.id] = now + 200ms;
          bootstrap(i);
        }
      } else if (gone_.insert(i.id).second) {
        instance_gone(i);
      }
    }
    bool witness_protected = false;
    if (kind_ == PoolKind::kAsg && witness_job_ != 0) {
      auto j = world_->github().job(witness_job_);
      if (j && j->started_at && !j->completed_at) {
        auto inst = aws_->instance(instance_of(j->runner_name));
        witness_protected = inst && is_live(*inst) && inst->protected_from_scale_in;
      }
    }
    std::lock_guard lock(mu_);
    report_.peak_live = std::max(report_.peak_live, live);
    report_.witness_protected = report_.witness_protected || witness_protected;
  }

  void bootstrap(const fakes::FakeInstance& i) {
    const std::string name = "/ghscale/runners/" + i.id;
    auto param = ssm_->get_parameter(name, /*decrypt=*/true);
    if (!param.ok()) {
      // As bootstrap.sh: not handed over yet, or an answer worth asking again (a storm the
      // client's own retries did not ride out), is polled again; anything else is wrong.
      const ErrorKind k = param.error().kind;
      if (k != ErrorKind::kNotFound && k != ErrorKind::kRetryable && k != ErrorKind::kThrottled)
        note_problem(i.id + ": GetParameter: " + param.error().describe());
      return;
    }
    // Three tries, as bootstrap.sh's delete_registration.
    for (int attempt = 1;; ++attempt) {
      auto del = ssm_->delete_parameter(name);
      if (del.ok() || del.error().kind == ErrorKind::kNotFound) break;
      if (attempt == 3 || (del.error().kind != ErrorKind::kRetryable && del.error().kind != ErrorKind::kThrottled)) {
        note_problem(i.id + ": DeleteParameter: " + del.error().describe());
        break;
      }
      std::this_thread::sleep_for(100ms * attempt);
    }
    started_.insert(i.id);
    std::lock_guard lock(mu_);
    report_.values.push_back(param->value);
    if (param->type != "SecureString") report_.problems.push_back(i.id + ": parameter type " + param->type);
    std::optional<fake_github::FakeRunner> runner;
    for (auto& r : world_->fake_github().runners(kScope)) {
      if (r.jit_config == param->value) runner = r;
    }
    if (!runner) {
      report_.problems.push_back(i.id + ": its JIT config belongs to no runner");
      return;
    }
    if (!runner->name.ends_with(i.id)) report_.problems.push_back(i.id + ": handed " + runner->name + "'s config");
    report_.runner_by_instance[i.id] = runner->name;
    provider::CloudInstance ci;
    ci.id = i.id;
    ci.pool = kPool;
    ci.market = i.lifecycle == "spot" ? Market::kSpot : Market::kOnDemand;
    ci.instance_type = i.instance_type;
    ci.lifecycle = provider::Lifecycle::kRunning;
    provider::Registration reg;
    reg.kind = provider::Registration::Kind::kJitConfig;
    reg.runner_name = runner->name;
    reg.secret = param->value;
    world_->github().on_cloud_event(provider::SimEvent{provider::SimEvent::Kind::kReady, ci, reg});
  }

  // An instance of the pool is gone. It ended itself after its job, was reclaimed by the
  // test (reported by the test), or was terminated from outside: by the daemon, or by its
  // group. The last kind must have had its runner deregistered first and no job running.
  void instance_gone(const fakes::FakeInstance& i) {
    if (shutdown_->ended(i.id)) return;
    {
      std::lock_guard lock(mu_);
      if (reclaimed_.count(i.id)) return;
      report_.ended_by_daemon.push_back(i.id);
      auto r = report_.runner_by_instance.find(i.id);
      if (r != report_.runner_by_instance.end()) {
        if (world_->fake_github().find_runner(kScope, r->second)) report_.terminated_while_registered.push_back(i.id);
        if (auto sim = world_->github().runner_named(r->second); sim && sim->busy) {
          report_.terminated_while_busy.push_back(i.id);
        }
      }
    }
    provider::CloudInstance ci;
    ci.id = i.id;
    ci.pool = kPool;
    ci.lifecycle = provider::Lifecycle::kTerminated;
    world_->github().on_cloud_event(provider::SimEvent{provider::SimEvent::Kind::kTerminated, ci, std::nullopt});
  }

  void note_problem(std::string p) {
    std::lock_guard lock(mu_);
    report_.problems.push_back(std::move(p));
  }

  AgentReport report() const {
    std::lock_guard lock(mu_);
    return report_;
  }

  // --- helpers ---

  bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (daemon_) daemon_->err();  // keep the pipe drained
      if (pred()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return pred();
  }

  int live_count() const {
    int n = 0;
    for (const auto& i : aws_->instances()) n += in_pool(i) && is_live(i) ? 1 : 0;
    return n;
  }

  std::int64_t enqueue(Duration duration) {
    sandbox::WorkloadJob j;
    j.labels = LabelSet{"self-hosted", "linux", "x64"};
    j.duration = duration;
    return world_->enqueue(j);
  }

  // The instance a job's runner is on ("ghscale-linux-i-...").
  static std::string instance_of(const std::string& runner_name) {
    const auto at = runner_name.rfind("i-");
    return at == std::string::npos ? std::string() : runner_name.substr(at);
  }

  std::vector<std::string> daemon_requests(const std::string& action) const {
    std::vector<std::string> out;
    for (const auto& r : aws_->requests()) {
      if (r.find(std::string("Credential=") + kDaemonKey + "/") != std::string::npos &&
          r.find("Action=" + action + "&") != std::string::npos) {
        out.push_back(r);
      }
    }
    return out;
  }

  // Instance ids named in query-protocol requests ("InstanceId=i-..", "InstanceIds.member.1=i-..").
  static std::set<std::string> instance_ids_in(const std::vector<std::string>& requests) {
    static const std::regex kId(R"re(InstanceIds?[.\w]*=(i-[0-9a-f]+))re");
    std::set<std::string> ids;
    for (const auto& r : requests) {
      const std::string body = r.substr(r.find("\n\n") + 2);
      for (std::sregex_iterator it(body.begin(), body.end(), kId), end; it != end; ++it) ids.insert((*it)[1].str());
    }
    return ids;
  }

  std::string diagnostics() {
    const sandbox::WorldCounts c = world_->counts();
    const AgentReport r = report();
    std::string out = "queued " + std::to_string(c.github.queued) + ", running " + std::to_string(c.github.running) +
                      ", done " + std::to_string(c.github.done) + ", failed " + std::to_string(c.github.failed) +
                      ", idle " + std::to_string(c.github.runners_idle) + ", busy " +
                      std::to_string(c.github.runners_busy) + ", offline " + std::to_string(c.github.runners_offline) +
                      ", live " + std::to_string(live_count()) + ", configs read " + std::to_string(r.values.size()) +
                      ", not accepted " + std::to_string(c.not_accepted) + "\n";
    for (const auto& p : r.problems) out += "agent: " + p + "\n";
    for (const auto& rej : aws_->rejections()) {
      if (rej.find("ParameterNotFound") == std::string::npos) out += "fake aws: " + rej + "\n";
    }
    if (daemon_) {
      const std::string& err = daemon_->err();
      out += "--- daemon stderr (last 6000 bytes) ---\n" + err.substr(err.size() > 6000 ? err.size() - 6000 : 0);
    }
    return out;
  }

  // The daemon's counter, or -1 when it is not exported.
  std::int64_t metric(const std::string& name) {
    auto r = testing::http_request(port_, "GET", "/metrics");
    const auto at = r.body.find("\n" + name + " ");
    if (r.status != 200 || at == std::string::npos) return -1;
    return std::stoll(r.body.substr(at + name.size() + 2));
  }

  // The daemon's describe() of the pool so far: DescribeInstances on the pool's tag (one
  // per reconcile pass), not the lookups of given instances (instance-id filter).
  int pool_describes() const {
    const std::string filter = kind_ == PoolKind::kAsg ? "tag:aws:autoscaling:groupName" : "tag:ghscale:pool";
    int n = 0;
    for (std::string r : daemon_requests("DescribeInstances")) {
      for (std::size_t at; (at = r.find("%3A")) != std::string::npos;) r.replace(at, 3, ":");
      n += r.find(filter) != std::string::npos && r.find("Name=instance-id") == std::string::npos ? 1 : 0;
    }
    return n;
  }

  // A spot instance reclaimed while its runner has a job: the instance ends at once (its
  // group, if any, replaces it); GitHub notices the lost runner a while later, fails the
  // job and the simulator runs it again. That while is held until the daemon has described
  // the pool twice, so one whole pass saw the instance gone under a job still in progress
  // (and counted the interruption); at most until shortly before the job would end.
  struct Reclaimed {
    std::string instance;
    std::int64_t job_id = 0;
    bool daemon_looked = false;  // the hold ended because the daemon described twice
  };
  Reclaimed reclaim_a_busy_spot_instance(const std::vector<std::int64_t>& candidates) {
    Reclaimed out;
    // Running for a moment, so its in_progress delivery has reached the daemon.
    const bool running = wait_until(
        [&] {
          for (std::int64_t id : candidates) {
            auto j = world_->github().job(id);
            if (!j || !j->started_at || j->completed_at || system_clock()->now() < *j->started_at + 500ms) continue;
            auto inst = aws_->instance(instance_of(j->runner_name));
            if (inst && is_live(*inst) && inst->lifecycle == "spot") {
              out.instance = inst->id;
              out.job_id = id;
              return true;
            }
          }
          return false;
        },
        120s);
    if (!running) {
      ADD_FAILURE() << "no candidate job ran on a spot instance\n" << diagnostics();
      return out;
    }
    const sandbox::SimJob job = *world_->github().job(out.job_id);
    const int describes = pool_describes();
    {
      std::lock_guard lock(mu_);
      reclaimed_.insert(out.instance);
    }
    if (!aws_->end_instance(out.instance, "spot interruption")) {
      ADD_FAILURE() << out.instance << " could not be reclaimed";
      out.instance.clear();
      return out;
    }
    if (kind_ == PoolKind::kAsg) {
      // The group launched a replacement at once, keeping its desired capacity.
      auto g = aws_->group(kGroup);
      EXPECT_EQ(static_cast<int>(g->instance_ids.size()), g->desired_capacity);
      for (const auto& id : g->instance_ids) EXPECT_NE(id, out.instance);
    }
    const TimePoint hold_until = *job.started_at + job.duration - 1s;
    while (system_clock()->now() < hold_until) {
      if (pool_describes() >= describes + 2) {
        out.daemon_looked = true;
        break;
      }
      daemon_->err();
      std::this_thread::sleep_for(20ms);
    }
    provider::CloudInstance ci;
    ci.id = out.instance;
    ci.pool = kPool;
    ci.market = Market::kSpot;
    ci.lifecycle = provider::Lifecycle::kTerminated;
    world_->github().on_cloud_event(provider::SimEvent{provider::SimEvent::Kind::kInterrupted, ci, std::nullopt});
    return out;
  }

  // The burst: kJobs jobs at once, and a spot reclaim during it.
  void run_burst(PoolKind kind) {
    set_up_cloud(kind);
    start_daemon();
    if (HasFatalFailure()) return;
    start_agent();

    // First in the queue, so they start with the first wave and end within the burst: a
    // witness long enough to be seen protected, and candidates to reclaim (at most one can
    // be on the pool's single on-demand instance). The rest are short.
    witness_job_ = enqueue(15s);
    std::vector<std::int64_t> candidates;
    for (int i = 0; i < 3; ++i) candidates.push_back(enqueue(10s));
    for (int i = 4; i < kJobs; ++i) enqueue(500ms + 1000ms * (i % 5) / 4);

    const Reclaimed reclaimed = reclaim_a_busy_spot_instance(candidates);
    ASSERT_FALSE(reclaimed.instance.empty());

    // Every job done, the reclaimed one by its second attempt.
    ASSERT_TRUE(wait_until([&] { return world_->counts().github.done == kJobs; }, 150s)) << diagnostics();
    // Idle capacity goes: deregistered, then terminated.
    ASSERT_TRUE(wait_until([&] { return live_count() == 0; }, 40s)) << diagnostics();
    stop_ = true;
    agent_.join();

    const sandbox::WorldCounts c = world_->counts();
    const AgentReport r = report();
    EXPECT_EQ(c.github.done, kJobs);
    EXPECT_EQ(c.github.failed, 1) << "only the reclaimed job fails";
    EXPECT_EQ(c.github.interrupted_jobs, 1);
    EXPECT_EQ(c.github.busy_terminations, 0) << "a busy runner's instance was terminated";
    EXPECT_TRUE(r.terminated_while_busy.empty()) << r.terminated_while_busy.front();
    EXPECT_TRUE(r.terminated_while_registered.empty())
        << "terminated before its runner was deregistered: " << r.terminated_while_registered.front();
    EXPECT_TRUE(r.problems.empty()) << diagnostics();

    // Capacity rose to demand, never past max_runners.
    EXPECT_LE(r.peak_live, kMaxRunners) << "more instances alive at once than max_runners";
    EXPECT_GE(r.peak_live, kMaxRunners - 2);

    // The reclaimed job ran again and was served.
    const auto lost = world_->github().job(reclaimed.job_id);
    ASSERT_TRUE(lost.has_value());
    EXPECT_EQ(lost->conclusion, "failure");
    int reruns = 0;
    for (const auto& j : world_->github().jobs()) {
      if (j.run_id != lost->run_id || j.run_attempt != lost->run_attempt + 1) continue;
      ++reruns;
      EXPECT_EQ(j.conclusion, "success");
      EXPECT_NE(instance_of(j.runner_name), reclaimed.instance);
    }
    EXPECT_EQ(reruns, 1);
    // Counted, when a whole pass saw it (passes are at most about lease_ttl long, so the
    // hold nearly always ends that way; a loaded machine may make it end by the bound).
    RecordProperty("spot_interruption_metric_checked", reclaimed.daemon_looked ? "yes" : "no");
    if (reclaimed.daemon_looked) {
      EXPECT_EQ(metric("ghscale_spot_interruptions_total"), 1) << reclaimed.instance << " was reclaimed\n"
                                                               << diagnostics();
    }

    // Each job's runner started from a config its instance read through SSM; one runner
    // per instance, one instance per runner.
    std::set<std::string> names;
    for (const auto& [id, name] : r.runner_by_instance) names.insert(name);
    EXPECT_EQ(names.size(), r.runner_by_instance.size());
    std::set<std::string> job_runners;
    for (const auto& j : world_->github().jobs()) {
      if (j.runner_name.empty()) continue;
      EXPECT_TRUE(names.count(j.runner_name)) << j.runner_name << " got no config through SSM";
      EXPECT_TRUE(job_runners.insert(j.runner_name).second) << "ephemeral runner reused: " << j.runner_name;
    }
    // No registration left behind, none in the daemon's log, no GitHub credential sent to AWS.
    auto left = ssm_->get_parameters_by_path("/ghscale/runners", /*recursive=*/true, /*decrypt=*/false);
    ASSERT_TRUE(left.ok()) << left.error().describe();
    EXPECT_TRUE(left->empty()) << left->front().name;
    for (const auto& i : aws_->instances()) EXPECT_FALSE(aws_->parameter("/ghscale/runners/" + i.id)) << i.id;
    const std::string& err = daemon_->err();
    for (const auto& v : r.values) EXPECT_EQ(err.find(v), std::string::npos) << "a JIT config reached the log";
    for (const auto& req : aws_->requests()) {
      EXPECT_EQ(req.find(world_->github_token()), std::string::npos) << "the PAT reached AWS";
    }
    EXPECT_TRUE(world_->fake_github().runners(kScope).empty()) << "runners left registered";

    // Every request was signed right and known to the models.
    for (const auto& rej : aws_->rejections()) {
      for (const char* bad : {"Signature", "UnknownParameter", "InvalidParameter:", "SerializationException",
                              "canonical request", "InvalidAction", "UnknownOperation"}) {
        EXPECT_EQ(rej.find(bad), std::string::npos) << rej;
      }
    }

    // What ended from outside was ended by the daemon's own calls.
    const auto terminations =
        daemon_requests(kind == PoolKind::kAsg ? "TerminateInstanceInAutoScalingGroup" : "TerminateInstances");
    const auto terminated = instance_ids_in(terminations);
    for (const auto& id : r.ended_by_daemon) EXPECT_TRUE(terminated.count(id)) << id << " ended, not by the daemon";
    if (kind == PoolKind::kAsg) {
      // Ephemeral runners' instances end themselves and the group replaces them; what
      // is left idle the daemon takes away.
      EXPECT_FALSE(terminated.empty());
      EXPECT_TRUE(r.witness_protected) << "the witness job's busy instance was never protected";
      for (const auto& t : terminations) {
        EXPECT_NE(t.find("ShouldDecrementDesiredCapacity=true"), std::string::npos) << t;
      }
      EXPECT_TRUE(daemon_requests("TerminateInstances").empty()) << "the ASG pool terminated outside its group";
      bool protected_seen = false;
      for (const auto& p : daemon_requests("SetInstanceProtection")) {
        protected_seen = protected_seen || p.find("ProtectedFromScaleIn=true") != std::string::npos;
      }
      EXPECT_TRUE(protected_seen) << "no busy instance was protected";
      EXPECT_EQ(aws_->group(kGroup)->desired_capacity, 0);
    } else {
      // One instance per job: each ended itself after its job (none was left idle here).
      EXPECT_FALSE(daemon_requests("CreateFleet").empty());
    }
  }

  // Every sample of a counter in /metrics: none negative, none wrapped past 2^63 (an
  // unsigned counter fed a negative difference). Returns the offending lines.
  std::vector<std::string> bad_counters() {
    auto r = testing::http_request(port_, "GET", "/metrics");
    EXPECT_EQ(r.status, 200);
    std::set<std::string> counters;
    std::vector<std::string> bad;
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("# TYPE ", 0) == 0) {
        std::istringstream t(line.substr(7));
        std::string name, type;
        t >> name >> type;
        if (type == "counter") counters.insert(name);
        continue;
      }
      if (line.empty() || line[0] == '#') continue;
      const std::string name = line.substr(0, line.find_first_of("{ "));
      if (!counters.count(name)) continue;
      const std::string value = line.substr(line.rfind(' ') + 1);
      const long double v = std::strtold(value.c_str(), nullptr);
      if (value.empty() || value[0] == '-' || !(v >= 0) || v >= 9223372036854775808.0L) bad.push_back(line);
    }
    EXPECT_FALSE(counters.empty()) << r.body;
    return bad;
  }

  void run_rude(PoolKind kind) {
    // Up to 3 ticks: longer than a pass, so passes in a row see the same stale answer.
    tick_ = 1s;
    aws_->set_describe_lag(3 * tick_, /*varies=*/true);
    aws_->set_tag_delay(3 * tick_ + 500ms);
    aws_->set_market_swap(/*spot_to_on_demand=*/true, /*on_demand_to_spot=*/true);
    // Throttling bursts and 5xx runs the clients' retries ride out (in every 20 requests one
    // throttled, one 500), every answer late, and spot placed by halves.
    aws_->set_weather({.period = 20, .throttles = 1, .errors = 1, .slow = 5ms, .partial_spot = true});
    world_->fake_github().set_read_lag({.runners = 2s, .jobs = 2s});
    set_up_cloud(kind);
    start_daemon();
    if (HasFatalFailure()) return;
    start_agent();
    const auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < kJobs; ++i) enqueue(500ms + 1000ms * (i % 5) / 4);
    // A 5xx storm on GitHub's runner list mid-burst, slow answers included.
    world_->fake_github().inject(
        {.method = "GET", .path_prefix = "/orgs/acme/actions/runners", .status = 503, .times = 3, .delay = 200ms});
    ASSERT_TRUE(wait_until([&] { return world_->counts().github.done == kJobs; }, 120s)) << diagnostics();
    RecordProperty("burst_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::steady_clock::now() - began)
                                                    .count()));
    ASSERT_TRUE(wait_until([&] { return live_count() == 0; }, 40s)) << diagnostics();
    // GitHub's list trails: what the daemon registered is gone once it has seen so.
    const bool unregistered = wait_until([&] { return world_->fake_github().runners(kScope).empty(); }, 20s);
    const auto registered = world_->fake_github().runners(kScope);
    EXPECT_TRUE(unregistered && registered.empty())
        << registered.size() << " runners left registered"
        << (registered.empty() ? std::string() : ", the first " + registered.front().name) << "\n"
        << diagnostics();
    stop_ = true;
    agent_.join();

    const sandbox::WorldCounts c = world_->counts();
    const AgentReport r = report();
    // By the fake's own record of every launch, not by what its lagging describes showed.
    const int peak = aws_->peak_live("ghscale:pool", kPool);
    RecordProperty("peak_live", peak);
    EXPECT_LE(peak, kMaxRunners) << "launched again while EC2 did not list the last launch";
    EXPECT_LE(r.peak_live, kMaxRunners);
    if (kind == PoolKind::kAsg) {
      EXPECT_LE(aws_->peak_live("aws:autoscaling:groupName", kGroup), kMaxRunners);
    }
    EXPECT_GE(peak, kMaxRunners / 2) << "capacity never rose towards the demand";
    EXPECT_EQ(c.github.done, kJobs);
    EXPECT_EQ(c.github.failed, 0);
    EXPECT_EQ(c.github.busy_terminations, 0);
    EXPECT_TRUE(r.terminated_while_busy.empty()) << r.terminated_while_busy.front();
    EXPECT_TRUE(r.terminated_while_registered.empty())
        << "terminated before its runner was deregistered: " << r.terminated_while_registered.front();
    EXPECT_TRUE(r.problems.empty()) << diagnostics();

    // Both markets were swapped; the daemon says so instead of counting errors.
    int spot = 0, on_demand = 0;
    for (const auto& i : aws_->instances()) {
      if (in_pool(i)) ++(i.lifecycle == "spot" ? spot : on_demand);
    }
    EXPECT_GT(spot, 0);
    EXPECT_GT(on_demand, 0);
    EXPECT_GT(metric("ghscale_launch_market_mismatch_total"), 0);
    // ...and its action log says which launch it was.
    EXPECT_NE(daemon_->err().find("placed in another market than asked"), std::string::npos)
        << "no scale_out action mentions the market swap";
    std::istringstream log(daemon_->err());
    for (std::string line; std::getline(log, line);) {
      if (line.find(R"("kind":"scale_out")") == std::string::npos) continue;
      // Short only where EC2 said it had no capacity (the partial spot placements).
      if (line.find("not launched") == std::string::npos) continue;
      EXPECT_NE(line.find("InsufficientInstanceCapacity"), std::string::npos)
          << "capacity placed in the other market reads as short: " << line;
    }
    const auto weather = aws_->weather_seen();
    RecordProperty("aws_requests_refused", weather.refused);
    EXPECT_GT(weather.refused, 0) << "no storm blew over " << weather.requests << " requests";
    const std::vector<std::string> bad = bad_counters();
    EXPECT_TRUE(bad.empty()) << "a counter negative or wrapped: " << bad.front();

    auto left = ssm_->get_parameters_by_path("/ghscale/runners", /*recursive=*/true, /*decrypt=*/false);
    ASSERT_TRUE(left.ok()) << left.error().describe();
    EXPECT_TRUE(left->empty()) << "a registration left behind: " << left->front().name;
  }

  static constexpr Duration kBootTime = 300ms;

  fs::path dir_;
  PoolKind kind_ = PoolKind::kAsg;
  Duration tick_ = 250ms;  // the daemon's reconcile tick
  std::unique_ptr<fakes::FakeAws> aws_;
  std::shared_ptr<InstanceShutdown> shutdown_;
  std::unique_ptr<sandbox::World> world_;
  std::unique_ptr<aws::SsmClient> ssm_;
  std::unique_ptr<Subprocess> daemon_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> witness_job_{0};
  std::thread stepper_;
  std::thread agent_;

  // The agent thread's own.
  std::set<std::string> started_;
  std::set<std::string> gone_;
  std::map<std::string, TimePoint> next_poll_;

  mutable std::mutex mu_;
  AgentReport report_;               // guarded by mu_
  std::set<std::string> reclaimed_;  // guarded by mu_
};

TEST_F(ServeAwsTest, AHundredJobsOnAnAutoScalingGroupPool) {
  run_burst(PoolKind::kAsg);
}

TEST_F(ServeAwsTest, AHundredJobsOnAFleetPool) {
  run_burst(PoolKind::kFleet);
}

// AWS and GitHub as they can be. EC2 lists an instance up to 3 ticks after its launch (in
// another order than launched), its tags a tick later still, and an Auto Scaling group's
// description trails it as much; spot asked is placed on-demand and on-demand asked is
// placed spot; spot capacity comes by halves; AWS throttles and answers 500 in bursts, every
// answer late. GitHub lists a runner seconds after it registered (busy seconds after it
// took its job), reads a job `queued` seconds after its in_progress delivery, and answers
// its runner list 503 for a while mid-burst. The daemon must count what it launched as
// supply meanwhile (it would launch again every tick otherwise), hand registrations over
// once EC2 knows the instance, remove every registration it made, and report the market
// disagreement without counting errors.
TEST_F(ServeAwsTest, AHundredJobsOnAnAutoScalingGroupPoolWithAwsAndGitHubLagging) {
  run_rude(PoolKind::kAsg);
}

TEST_F(ServeAwsTest, AHundredJobsOnAFleetPoolWithAwsAndGitHubLagging) {
  run_rude(PoolKind::kFleet);
}

}  // namespace
}  // namespace ghscale
