// The provider.h contract, held against every Provider: the simulated cloud, the remote
// provider (over loopback to a sandbox CloudServer), and aws_asg and aws_fleet on the fake
// AWS, polite, rude (describes that lag behind launches, tags applied late, spot asked and
// on-demand given) and stormy (rude, and besides: throttling bursts and 5xx storms the
// client's retries ride out, slow answers, spot capacity placed partially). Storms past
// the retries, answers lost after the call took effect and partial capacity each have
// their case too. Each case states what a provider may answer where the contract leaves
// it a choice, and why; nothing is skipped silently.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <set>

#include "http/client.h"
#include "provider/aws/asg_provider.h"
#include "provider/aws/fleet_provider.h"
#include "provider/aws_fixture.h"
#include "provider/remote/remote_provider.h"
#include "provider/sim/sim_cloud.h"
#include "sandbox/cloud_server.h"

namespace ghscale::provider::testing {
namespace {

constexpr const char* kPool = "linux";
constexpr const char* kOtherPool = "others";
constexpr const char* kUnknownId = "i-0123456789abcdef0";
constexpr const char* kSecret = "Y29uZm9ybWFuY2Utaml0";

// One provider under test with its cloud: the provider serving kPool, one serving
// kOtherPool on the same cloud (the same object where a provider serves every pool), the
// cloud's own count of live instances, and the passing of time for both.
class Subject {
 public:
  virtual ~Subject() = default;
  virtual Provider& provider() = 0;
  virtual Provider& other() = 0;
  virtual int live_in_cloud() const = 0;
  virtual void advance(Duration d) = 0;
  virtual bool ready() const = 0;  // false: it could not be set up (a failure was added)
  // A fault of the cloud's API, where the subject has an API to inject it into; false for
  // the in-process clouds, which have none.
  virtual bool inject(const fakes::Fault&) { return false; }
  // The API operation a launch() changes the cloud with, and the one where a spot
  // shortage shows (a fakes::Fault's operation).
  virtual std::string launch_operation() const { return ""; }
  virtual std::string capacity_operation() const { return ""; }
  // The storms' own count (stormy flavours): requests seen and refused.
  virtual fakes::FakeAws::WeatherSeen weather_seen() const { return {}; }
};

// What a provider documents where provider.h leaves a choice.
struct Flavour {
  std::string name;
  bool needs_fake_aws = false;
  bool rude = false;
  // Why describe() never shows protection, when it does not (empty: it shows it).
  std::string protect_is_a_no_op;
  // hand_over() to an instance launch() just reported may answer kRetryable while EC2
  // does not list it yet (asg_provider.h, fleet_provider.h), and describe() may list
  // capacity asked but not placed yet as placeholders (asg_provider.h).
  bool launch_grace = false;
  // How long until a rude cloud shows everything it did.
  Duration settle{0};
  std::function<std::unique_ptr<Subject>()> make;
  bool stormy = false;  // throttling bursts, 5xx storms, slow answers, partial spot capacity
};

// gtest names a failing case's parameter with this.
void PrintTo(const Flavour& flavour, std::ostream* os) { *os << flavour.name; }

// --- the subjects ------------------------------------------------------------------------

class SimSubject : public Subject {
 public:
  SimSubject() : cloud_(std::make_shared<SimCloud>(SimCloudOptions{.clock = clock_, .boot_time = std::chrono::seconds(30)})) {}
  Provider& provider() override { return *cloud_; }
  Provider& other() override { return *cloud_; }
  int live_in_cloud() const override { return cloud_->live_count(); }
  void advance(Duration d) override { clock_->advance(d); }
  bool ready() const override { return true; }

 protected:
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::shared_ptr<SimCloud> cloud_;
};

// The same cloud served by a sandbox::CloudServer on 127.0.0.1 (port 0), reached through
// provider::RemoteProvider: every call crosses the wire format.
class RemoteSubject : public SimSubject {
 public:
  RemoteSubject() {
    auto server = sandbox::CloudServer::start(cloud_, clock_);
    if (!server) {
      ADD_FAILURE() << "cloud server: " << server.error().describe();
      return;
    }
    server_ = std::move(*server);
    remote_ = std::make_unique<RemoteProvider>(
        RemoteProviderOptions{.endpoint_url = server_->endpoint_url(), .process = "conformance:1"});
  }
  ~RemoteSubject() override {
    if (server_) server_->shutdown();
  }
  Provider& provider() override { return *remote_; }
  Provider& other() override { return *remote_; }
  bool ready() const override { return remote_ != nullptr; }

 private:
  std::unique_ptr<sandbox::CloudServer> server_;
  std::unique_ptr<RemoteProvider> remote_;
};

enum class Manners { kPolite, kRude, kStormy };

void make_rude(fakes::FakeAws& fake, Manners manners) {
  if (manners == Manners::kPolite) return;
  fake.set_describe_lag(std::chrono::seconds(20));
  fake.set_tag_delay(std::chrono::seconds(10));
  fake.set_market_swap(true);
  if (manners == Manners::kStormy) {
    // In every 5 requests one throttled and one 500, back to back: a call that meets both
    // needs all three of its attempts.
    fake.set_weather({.period = 5, .throttles = 1, .errors = 1, .slow = std::chrono::milliseconds(2), .partial_spot = true});
  }
}

class AwsSubject : public Subject {
 public:
  ~AwsSubject() override { env_.stop_fake_aws(); }
  Provider& provider() override { return *provider_; }
  Provider& other() override { return *other_; }
  int live_in_cloud() const override { return env_.fake_->live_instances(); }
  void advance(Duration d) override { env_.advance(d); }
  bool ready() const override { return provider_ != nullptr && other_ != nullptr; }
  bool inject(const fakes::Fault& fault) override {
    env_.fake_->inject(fault);
    return true;
  }
  fakes::FakeAws::WeatherSeen weather_seen() const override { return env_.fake_->weather_seen(); }

 protected:
  FakeAwsEnv env_;
  std::unique_ptr<Provider> provider_;
  std::unique_ptr<Provider> other_;
};

class AsgSubject : public AwsSubject {
 public:
  explicit AsgSubject(Manners manners) {
    env_.start_fake_aws();
    if (!env_.fake_) return;
    env_.fake_->add_group(group("runners", kPool));
    env_.fake_->add_group(group("other-runners", kOtherPool));
    make_rude(*env_.fake_, manners);
    provider_ = std::make_unique<AsgProvider>(env_.asg_options("runners"));
    AsgProviderOptions o = env_.asg_options("other-runners");
    o.pool = kOtherPool;
    other_ = std::make_unique<AsgProvider>(std::move(o));
  }
  std::string launch_operation() const override { return "SetDesiredCapacity"; }
  std::string capacity_operation() const override { return "AutoScaling"; }

 private:
  static fakes::FakeGroup group(const std::string& name, const std::string& pool) {
    fakes::FakeGroup g;
    g.name = name;
    g.max_size = 10;
    g.on_demand_base = 1;
    g.instance_types = {"m7i.large", "m6i.large"};
    g.tags = {{std::string(kTagPool), pool}};
    return g;
  }
};

class FleetSubject : public AwsSubject {
 public:
  explicit FleetSubject(Manners manners) {
    env_.start_fake_aws();
    if (!env_.fake_) return;
    make_rude(*env_.fake_, manners);
    FleetProviderOptions o = env_.fleet_options();
    o.pool = kPool;
    provider_ = std::make_unique<FleetProvider>(o);
    o.pool = kOtherPool;
    other_ = std::make_unique<FleetProvider>(std::move(o));
  }
  std::string launch_operation() const override { return "CreateFleet"; }
  std::string capacity_operation() const override { return "CreateFleet"; }
};

const std::vector<Flavour>& flavours() {
  static const std::vector<Flavour> all = [] {
    const std::string no_group = "aws_fleet has no group that could scale in: protect is a no-op answering ok";
    const Duration rude_settle = std::chrono::seconds(30);  // past the lag (20 s) and the tag delay (10 s)
    std::vector<Flavour> f;
    f.push_back({"sim", false, false, "", false, Duration{0}, [] { return std::make_unique<SimSubject>(); }});
    f.push_back({"remote", false, false, "", false, Duration{0}, [] { return std::make_unique<RemoteSubject>(); }});
    auto asg = [](Manners m) { return [m] { return std::unique_ptr<Subject>(std::make_unique<AsgSubject>(m)); }; };
    auto fleet = [](Manners m) { return [m] { return std::unique_ptr<Subject>(std::make_unique<FleetSubject>(m)); }; };
    f.push_back({"aws_asg", true, false, "", true, Duration{0}, asg(Manners::kPolite)});
    f.push_back({"aws_fleet", true, false, no_group, true, Duration{0}, fleet(Manners::kPolite)});
    f.push_back({"aws_asg_rude", true, true, "", true, rude_settle, asg(Manners::kRude)});
    f.push_back({"aws_fleet_rude", true, true, no_group, true, rude_settle, fleet(Manners::kRude)});
    f.push_back({"aws_asg_stormy", true, true, "", true, rude_settle, asg(Manners::kStormy), true});
    f.push_back({"aws_fleet_stormy", true, true, no_group, true, rude_settle, fleet(Manners::kStormy), true});
    return f;
  }();
  return all;
}

// --- the fixture -------------------------------------------------------------------------

class ProviderConformance : public ::testing::TestWithParam<Flavour> {
 protected:
  void SetUp() override {
    if (GetParam().needs_fake_aws && !ghscale::testing::testdata_dir()) GTEST_SKIP() << kNoTestdata;
    subject_ = GetParam().make();
    ASSERT_TRUE(subject_->ready()) << GetParam().name << " could not be set up";
  }
  void TearDown() override {
    // The storms blew: a case that asked more than a period's worth met some.
    if (subject_ && flavour().stormy) {
      const auto seen = subject_->weather_seen();
      if (seen.requests >= 5) {
        EXPECT_GT(seen.refused, 0) << seen.requests << " requests, none refused";
      }
    }
    subject_.reset();
  }

  Provider& provider() { return subject_->provider(); }
  const Flavour& flavour() const { return GetParam(); }

  static LaunchRequest request(int on_demand, int spot, std::string token, std::string pool = kPool) {
    return LaunchRequest{std::move(pool), {on_demand, spot}, std::move(token), 0};
  }

  static std::vector<std::string> ids_of(const LaunchOutcome& out) {
    std::vector<std::string> ids = out.on_demand_ids;
    ids.insert(ids.end(), out.spot_ids.begin(), out.spot_ids.end());
    return ids;
  }

  // Live instances of `pool` as describe() lists them (pending or running).
  static std::vector<CloudInstance> listed(Provider& p, const std::string& pool) {
    auto all = p.describe(pool);
    EXPECT_TRUE(all.ok()) << all.error().describe();
    std::vector<CloudInstance> out;
    if (!all.ok()) return out;
    for (auto& c : *all) {
      if (c.lifecycle == Lifecycle::kPending || c.lifecycle == Lifecycle::kRunning) out.push_back(std::move(c));
    }
    return out;
  }

  // Launches `n` and answers their real ids: as launch() reported them, or, where a rude
  // EC2 kept them from the answer, as describe() lists them once it caught up.
  std::vector<std::string> launch_real(int n, const std::string& token) {
    auto out = provider().launch(request(0, n, token));
    EXPECT_TRUE(out.ok()) << out.error().describe();
    std::vector<std::string> ids = out.ok() ? ids_of(*out) : std::vector<std::string>{};
    subject_->advance(flavour().settle);
    if (static_cast<int>(ids.size()) < n) {
      ids.clear();
      for (const auto& c : listed(provider(), kPool)) {
        if (!c.placeholder) ids.push_back(c.id);
      }
    }
    EXPECT_EQ(static_cast<int>(ids.size()), n);
    return ids;
  }

  std::unique_ptr<Subject> subject_;
};

// --- the cases ---------------------------------------------------------------------------

TEST_P(ProviderConformance, AnEmptyLaunchIsInvalidAndLaunchesNothing) {
  auto out = provider().launch(request(0, 0, "empty"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kInvalid) << out.error().describe();
  EXPECT_EQ(subject_->live_in_cloud(), 0);
}

TEST_P(ProviderConformance, LaunchIsIdempotentByClientToken) {
  auto first = provider().launch(request(1, 1, "same-token"));
  ASSERT_TRUE(first.ok()) << first.error().describe();
  const int live = subject_->live_in_cloud();
  EXPECT_EQ(live, 2);
  auto again = provider().launch(request(1, 1, "same-token"));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->on_demand_ids, first->on_demand_ids);
  EXPECT_EQ(again->spot_ids, first->spot_ids);
  EXPECT_EQ(subject_->live_in_cloud(), live);
  // A replay later, once the cloud shows the launch, is still no new capacity.
  subject_->advance(flavour().settle + std::chrono::seconds(1));
  auto late = provider().launch(request(1, 1, "same-token"));
  ASSERT_TRUE(late.ok()) << late.error().describe();
  EXPECT_EQ(ids_of(*late), ids_of(*first));
  EXPECT_EQ(subject_->live_in_cloud(), live);
  EXPECT_EQ(listed(provider(), kPool).size(), 2u);
}

TEST_P(ProviderConformance, NeverLaunchesMoreThanAsked) {
  int asked = 0;
  for (int k = 1; k <= 3; ++k) {
    auto out = provider().launch(request(k == 1 ? 1 : 0, k, "round-" + std::to_string(k)));
    ASSERT_TRUE(out.ok()) << out.error().describe();
    asked += (k == 1 ? 1 : 0) + k;
    EXPECT_LE(static_cast<int>(ids_of(*out).size()), (k == 1 ? 1 : 0) + k);
    EXPECT_LE(subject_->live_in_cloud(), asked) << "after round " << k;
  }
  subject_->advance(flavour().settle + std::chrono::seconds(1));
  (void)listed(provider(), kPool);  // a describe must not make the cloud place more
  EXPECT_LE(subject_->live_in_cloud(), asked);
  EXPECT_LE(static_cast<int>(listed(provider(), kPool).size()), asked);
}

TEST_P(ProviderConformance, DescribeSeesWhatWasLaunchedOrListsItPending) {
  auto out = provider().launch(request(1, 2, "seen"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  const auto ids = ids_of(*out);
  const auto now = listed(provider(), kPool);
  // Every instance asked for counts as supply at once, rude EC2 or not: the scaler
  // plans from this list, and an instance missing from it would be launched again.
  EXPECT_EQ(now.size(), 3u);
  std::set<std::string> shown;
  int placeholders = 0;
  for (const auto& c : now) {
    shown.insert(c.id);
    placeholders += c.placeholder ? 1 : 0;
    EXPECT_EQ(c.pool, kPool);
  }
  for (const auto& id : ids) EXPECT_EQ(shown.count(id), 1u) << id << " was launched but is not listed";
  if (!flavour().launch_grace) {
    EXPECT_EQ(placeholders, 0) << "only a group lists capacity it has not placed";
  }
  EXPECT_LE(static_cast<int>(ids.size()) + placeholders, 3);
  // Once the cloud caught up, the instances themselves are listed, none in their place.
  subject_->advance(flavour().settle + std::chrono::seconds(1));
  const auto later = listed(provider(), kPool);
  EXPECT_EQ(later.size(), 3u);
  for (const auto& c : later) EXPECT_FALSE(c.placeholder) << c.id;
}

TEST_P(ProviderConformance, DescribeNeverListsAnotherPoolsInstances) {
  auto mine = provider().launch(request(1, 1, "mine"));
  auto theirs = subject_->other().launch(request(1, 1, "theirs", kOtherPool));
  ASSERT_TRUE(mine.ok()) << mine.error().describe();
  ASSERT_TRUE(theirs.ok()) << theirs.error().describe();
  for (Duration wait : {Duration{0}, flavour().settle + std::chrono::seconds(1)}) {
    subject_->advance(wait);
    const auto a = listed(provider(), kPool);
    const auto b = listed(subject_->other(), kOtherPool);
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(b.size(), 2u);
    std::set<std::string> in_a;
    for (const auto& c : a) {
      EXPECT_EQ(c.pool, kPool) << c.id;
      in_a.insert(c.id);
    }
    for (const auto& c : b) {
      EXPECT_EQ(c.pool, kOtherPool) << c.id;
      EXPECT_EQ(in_a.count(c.id), 0u) << c.id << " listed in both pools";
    }
    EXPECT_TRUE(listed(provider(), "no-such-pool").empty());
  }
}

TEST_P(ProviderConformance, TerminateIsIdempotentAndIgnoresUnknownIds) {
  const auto ids = launch_real(2, "to-end");
  ASSERT_EQ(ids.size(), 2u);
  ASSERT_EQ(subject_->live_in_cloud(), 2);
  Status st = provider().terminate({ids[0], kUnknownId});
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(subject_->live_in_cloud(), 1);
  st = provider().terminate({ids[0]});
  EXPECT_TRUE(st.ok()) << "a second terminate of the same instance: " << st.error().describe();
  st = provider().terminate({});
  EXPECT_TRUE(st.ok()) << st.error().describe();
  subject_->advance(flavour().settle + std::chrono::seconds(1));
  EXPECT_EQ(subject_->live_in_cloud(), 1) << "the cloud must not replace, nor end another, instance";
  const auto left = listed(provider(), kPool);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, ids[1]);
}

TEST_P(ProviderConformance, ProtectWorksOrIsANoOpAnsweringOk) {
  const auto ids = launch_real(1, "keep");
  ASSERT_EQ(ids.size(), 1u);
  const bool shows = flavour().protect_is_a_no_op.empty();
  if (!shows) std::cout << "[   NOTE   ] " << flavour().name << ": " << flavour().protect_is_a_no_op << "\n";
  const auto protected_now = [&] {
    subject_->advance(flavour().settle);
    for (const auto& c : listed(provider(), kPool)) {
      if (c.id == ids[0]) return c.scale_in_protected;
    }
    ADD_FAILURE() << ids[0] << " not listed";
    return false;
  };
  Status st = provider().protect({ids[0], kUnknownId}, true);
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_EQ(protected_now(), shows);
  st = provider().protect({ids[0]}, false);
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_FALSE(protected_now());
  EXPECT_TRUE(provider().protect({}, true).ok());
}

TEST_P(ProviderConformance, HandOverToAnUnknownOrEndedInstanceIsNotFound) {
  Registration reg;
  reg.runner_name = "ghscale-linux-x";
  reg.secret = kSecret;
  Status st = provider().hand_over(kUnknownId, reg);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound) << st.error().describe();
  EXPECT_EQ(st.error().describe().find(kSecret), std::string::npos) << "the secret reached an error";
  const auto ids = launch_real(1, "ends");
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_TRUE(provider().terminate(ids).ok());
  st = provider().hand_over(ids[0], reg);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound) << st.error().describe();
}

TEST_P(ProviderConformance, HandOverToAJustLaunchedInstanceWorksOrIsRetryableWithinTheLaunchGrace) {
  auto out = provider().launch(request(1, 1, "fresh"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  // What the scaler hands registrations to: the instances describe() lists (launch()
  // reported ones among them; placeholders where a group has not placed capacity yet).
  const auto fresh = listed(provider(), kPool);
  ASSERT_EQ(fresh.size(), 2u);
  Registration reg;
  reg.runner_name = "ghscale-linux-x";
  reg.secret = kSecret;
  int retryable = 0;
  for (const auto& c : fresh) {
    Status st = provider().hand_over(c.id, reg);
    if (st.ok()) continue;
    EXPECT_EQ(st.error().describe().find(kSecret), std::string::npos) << "the secret reached an error";
    if (flavour().launch_grace && st.error().kind == ErrorKind::kRetryable) {
      ++retryable;
      continue;
    }
    ADD_FAILURE() << c.id << ": " << st.error().describe();
  }
  if (!flavour().rude) {
    EXPECT_EQ(retryable, 0) << "only a lagging cloud may ask for a retry";
  }
  // The grace ends: once the cloud shows the instances, every hand-over works.
  subject_->advance(flavour().settle + std::chrono::seconds(1));
  for (const auto& c : listed(provider(), kPool)) {
    Status st = provider().hand_over(c.id, reg);
    EXPECT_TRUE(st.ok()) << c.id << ": " << st.error().describe();
  }
}

// A 5xx storm that outlasts the client's retries fails the call as worth retrying, with
// nothing launched; the scaler's retry of the same decision (the same token) then launches
// it once.
TEST_P(ProviderConformance, AStormPastTheRetriesFailsRetryablyAndItsReplayLaunchesOnce) {
  // Every attempt of the call, and those of a describe it may make first.
  if (!subject_->inject({.kind = fakes::Fault::Kind::kInternalError, .times = 3})) {
    GTEST_SKIP() << flavour().name << " runs in this process: no API, no storm";
  }
  auto out = provider().launch(request(1, 1, "through-the-storm"));
  ASSERT_FALSE(out.ok()) << "3 answers of 500 in a row were ridden out";
  EXPECT_TRUE(out.error().kind == ErrorKind::kRetryable || out.error().kind == ErrorKind::kThrottled)
      << out.error().describe();
  EXPECT_EQ(subject_->live_in_cloud(), 0);
  auto again = provider().launch(request(1, 1, "through-the-storm"));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(subject_->live_in_cloud(), 2);
  auto replay = provider().launch(request(1, 1, "through-the-storm"));
  ASSERT_TRUE(replay.ok()) << replay.error().describe();
  EXPECT_EQ(ids_of(*replay), ids_of(*again));
  EXPECT_EQ(subject_->live_in_cloud(), 2);
}

// A 500 after the launch took effect: the client asks again, and the cloud must not place
// the capacity twice (idempotency by client token, or an absolute desired capacity).
TEST_P(ProviderConformance, ALaunchWhoseAnswerWasLostIsNotDoubledByTheRetry) {
  const std::string operation = subject_->launch_operation();
  if (operation.empty() ||
      !subject_->inject({.kind = fakes::Fault::Kind::kInternalError, .operation = operation, .after_effect = true})) {
    GTEST_SKIP() << flavour().name << " runs in this process: no answer to lose";
  }
  // Under a stormy sky the lost answer and the weather together may outlast the retries:
  // then the call fails as worth retrying, and the scaler's replay (the same token) must
  // not double it either.
  auto out = provider().launch(request(1, 2, "answer-lost"));
  for (int replay = 0; replay < 2 && !out.ok(); ++replay) {
    EXPECT_TRUE(flavour().stormy) << out.error().describe();
    EXPECT_TRUE(out.error().kind == ErrorKind::kRetryable || out.error().kind == ErrorKind::kThrottled)
        << out.error().describe();
    EXPECT_LE(subject_->live_in_cloud(), 3);
    out = provider().launch(request(1, 2, "answer-lost"));
  }
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_LE(static_cast<int>(ids_of(*out).size()), 3);
  EXPECT_EQ(subject_->live_in_cloud(), 3) << "the retry of " << operation << " placed its capacity again";
  subject_->advance(flavour().settle + std::chrono::seconds(1));
  EXPECT_EQ(subject_->live_in_cloud(), 3);
  EXPECT_EQ(listed(provider(), kPool).size(), 3u);
}

// Spot capacity placed partially: the launch reports only what was placed, says why the
// rest is not (a market error), or lists it as owed (a group's placeholders); either way
// never more than asked.
TEST_P(ProviderConformance, APartialSpotPlacementReportsWhatWasPlacedAndNoMore) {
  const std::string operation = subject_->capacity_operation();
  if (operation.empty() || !subject_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity,
                                              .operation = operation,
                                              .market = "spot",
                                              .placed = 1})) {
    GTEST_SKIP() << flavour().name << " runs in this process: its capacity never runs short";
  }
  auto out = provider().launch(request(1, 3, "partial"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  const auto ids = ids_of(*out);
  EXPECT_LE(static_cast<int>(ids.size()), 4);
  EXPECT_LE(subject_->live_in_cloud(), 4);
  if (ids.size() < 4u) {
    EXPECT_TRUE(out->spot_error || out->on_demand_error) << ids.size() << " of 4 placed, and no word why";
  }
  const auto now = listed(provider(), kPool);
  std::set<std::string> shown;
  int placeholders = 0;
  for (const auto& c : now) {
    shown.insert(c.id);
    placeholders += c.placeholder ? 1 : 0;
  }
  for (const auto& id : ids) EXPECT_EQ(shown.count(id), 1u) << id << " was reported placed but is not listed";
  EXPECT_LE(static_cast<int>(ids.size()) + placeholders, 4) << "more supply listed than asked";
  EXPECT_LE(static_cast<int>(now.size()), 4);
}

INSTANTIATE_TEST_SUITE_P(EveryProvider, ProviderConformance, ::testing::ValuesIn(flavours()),
                         [](const ::testing::TestParamInfo<Flavour>& flavour) { return flavour.param.name; });

}  // namespace
}  // namespace ghscale::provider::testing
