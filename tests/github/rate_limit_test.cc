#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "github/fixture.h"
#include "support/fake_jobs.h"

namespace ghscale::testing {
namespace {

using fake_github::FakeRunner;

TEST_F(GitHubFixture, PaginationFollowsLinkAndUnchangedPagesCostNoQuota) {
  auto api = pat_client();
  for (int i = 0; i < 250; ++i) fake->add_runner(FakeRunner{0, "orgs/acme", "r-" + std::to_string(i), "Linux", true, false, 1, {"self-hosted"}, {}});
  auto first = api->list_runners(org);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->size(), 250u);
  EXPECT_EQ(fake->requests_to("/orgs/acme/actions/runners"), 3);
  const auto remaining = fake->remaining(kPat, "core");
  auto second = api->list_runners(org);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->size(), 250u);
  EXPECT_EQ(fake->remaining(kPat, "core"), remaining) << "304s must not spend quota";
  EXPECT_EQ(api->rate_limits().calls("list_runners", "304"), 3);
}

TEST_F(GitHubFixture, TheSweepsListsAreConditionalSoAQuietRepositoryCostsNoQuota) {
  auto api = pat_client();
  const std::int64_t run = fake->add_run({.repo = "acme/app"});
  const std::int64_t id = fake->add_job(testing::build_job(run));
  fake->set_run_status(run, "queued");
  ASSERT_TRUE(api->list_queued_runs("acme/app").ok());
  ASSERT_TRUE(api->list_run_jobs("acme/app", run).ok());
  const auto remaining = fake->remaining(kPat, "core");
  auto runs = api->list_queued_runs("acme/app");
  auto jobs = api->list_run_jobs("acme/app", run);
  ASSERT_TRUE(runs.ok() && jobs.ok());
  EXPECT_EQ(runs->size(), 1u);  // the cached answer, whole
  EXPECT_EQ(jobs->size(), 1u);
  EXPECT_EQ(fake->remaining(kPat, "core"), remaining) << "304s must not spend quota";
  EXPECT_EQ(api->rate_limits().calls("list_workflow_runs", "304"), 1);
  // A job moved on: the run's jobs are asked again, and cost.
  fake->update_job(id, "in_progress", 0, "r-1");
  jobs = api->list_run_jobs("acme/app", run);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->at(0).status, "in_progress");
  EXPECT_EQ(fake->remaining(kPat, "core"), remaining - 1);
}

TEST_F(GitHubFixture, SecondaryLimitWaitsTheToldTimeOnVirtualClock) {
  auto api = pat_client();
  fake->inject({"GET", "/orgs/acme/actions/runners", 403, {{"Retry-After", "30"}},
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", 1});
  const auto start = clock->now();
  auto r = api->list_runners(org);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_EQ(sleeps[0], std::chrono::seconds(30));
  EXPECT_EQ(clock->now() - start, std::chrono::seconds(30));
}

TEST_F(GitHubFixture, ServerErrorsRetryWithBoundedJitteredBackoff) {
  auto o = options();
  o.max_attempts = 3;
  auto api = pat_client(o);
  fake->inject({"", "/orgs/acme/actions/runners", 502, {}, "Server Error", 2});
  ASSERT_TRUE(api->list_runners(org).ok());
  EXPECT_EQ(sleeps.size(), 2u);
  for (auto d : sleeps) EXPECT_LE(d, std::chrono::seconds(30));
  fake->inject({"", "/orgs/acme/actions/runners", 503, {}, "Unavailable", 10});
  auto r = api->list_runners(org);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kRetryable);
}

// A transport that cannot reach GitHub while `down` (as curl reports a refused connect).
class SwitchableClient final : public http::Client {
 public:
  explicit SwitchableClient(std::shared_ptr<http::Client> inner) : inner_(std::move(inner)) {}
  Result<http::ClientResponse> send(const http::ClientRequest& r) override {
    ++sends;
    if (down) return make_error(ErrorKind::kRetryable, r.method + " " + http::url_without_query(r.url) + ": Couldn't connect to server");
    return inner_->send(r);
  }
  std::atomic<bool> down{false};
  std::atomic<int> sends{0};

 private:
  std::shared_ptr<http::Client> inner_;
};

// A call that ran out of attempts without reaching GitHub makes the calls of the next
// 30 s try once: an outage costs a pass (or `reconcile --once`) one try per call, not a
// back-off on each. The first answer, or the 30 s, ends it.
TEST_F(GitHubFixture, AfterGitHubWasUnreachableCallsTryOnceForAWhile) {
  auto o = options();
  o.max_attempts = 4;
  auto net = std::make_shared<SwitchableClient>(transport());
  auto api = pat_client(o, net);
  net->down = true;
  EXPECT_FALSE(api->list_runners(org).ok());
  EXPECT_EQ(net->sends.load(), 4);
  EXPECT_EQ(sleeps.size(), 3u);
  auto r = api->generate_jit_config(org, {"jit-1", 1, {"self-hosted"}, "_work"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kRetryable);
  EXPECT_NE(r.error().message.find("Couldn't connect"), std::string::npos) << r.error().message;
  EXPECT_EQ(net->sends.load(), 5);
  EXPECT_EQ(sleeps.size(), 3u);
  // GitHub answers again: the next failure retries as before.
  net->down = false;
  EXPECT_TRUE(api->list_runners(org).ok());
  net->down = true;
  net->sends = 0;
  EXPECT_FALSE(api->list_runners(org).ok());
  EXPECT_EQ(net->sends.load(), 4);
  // 30 s on, still down: a full set of attempts again.
  clock->advance(std::chrono::seconds(31));
  net->sends = 0;
  EXPECT_FALSE(api->list_runners(org).ok());
  EXPECT_EQ(net->sends.load(), 4);
}

TEST_F(GitHubFixture, QuotaReserveDefersTheSweepButNotUrgentCalls) {
  auto o = options();
  o.rate_limit_reserve = 500;
  auto api = pat_client(o);
  fake->add_run({0, "acme/app", "CI", "queued"});
  fake->set_remaining(kPat, "core", 400);
  ASSERT_TRUE(api->list_runners(org).ok());  // learns the bucket; normal calls go on
  const auto before = fake->requests();
  auto sweep = api->list_queued_runs("acme/app");
  ASSERT_FALSE(sweep.ok());
  EXPECT_EQ(sweep.error().kind, ErrorKind::kThrottled);
  EXPECT_GT(sweep.error().retry_after.count(), 0);
  EXPECT_EQ(fake->requests(), before);
  std::string metrics;
  api->append_metrics(metrics);
  EXPECT_NE(metrics.find("ghscale_github_deferred_calls_total{endpoint=\"list_workflow_runs\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("ghscale_github_rate_limit_remaining{resource=\"core\"} 399"), std::string::npos);
  EXPECT_NE(metrics.find("ghscale_github_api_calls_total{endpoint=\"list_runners\",status=\"200\"} 1"), std::string::npos);
  EXPECT_TRUE(api->registration_token(org).ok());
}

TEST_F(GitHubFixture, ExhaustedQuotaIsThrottledUntilReset) {
  auto api = pat_client();
  fake->set_remaining(kPat, "core", 0);
  auto r = api->list_runners(org);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kThrottled);
  EXPECT_GT(r.error().retry_after, std::chrono::minutes(5));
}

// Holds each request until `cap` are in flight together (bounded by a real-time
// timeout only as a safety net), recording the highest concurrency seen.
class GateClient final : public http::Client {
 public:
  GateClient(std::shared_ptr<http::Client> inner, int cap) : inner_(std::move(inner)), cap_(cap) {}
  Result<http::ClientResponse> send(const http::ClientRequest& r) override {
    {
      std::unique_lock lock(mu_);
      ++now_;
      max_ = std::max(max_, now_);
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(2), [&] { return now_ >= cap_ || released_; });
      released_ = true;
    }
    auto resp = inner_->send(r);
    std::lock_guard lock(mu_);
    --now_;
    return resp;
  }
  int max() const {
    std::lock_guard lock(mu_);
    return max_;
  }

 private:
  std::shared_ptr<http::Client> inner_;
  const int cap_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int now_ = 0;
  int max_ = 0;
  bool released_ = false;
};

TEST_F(GitHubFixture, ConcurrencyNeverExceedsTheCap) {
  auto o = options();
  o.max_in_flight = 3;
  auto gate = std::make_shared<GateClient>(transport(), 3);
  auto api = pat_client(o, gate);
  fake->add_runner(FakeRunner{0, "orgs/acme", "r", "Linux", true, false, 1, {"self-hosted"}, {}});
  fake->inject({"GET", "/orgs/acme/actions/runners", 403, {{"Retry-After", "5"}},
                "You have exceeded a secondary rate limit.", 1});
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      if (!api->get_runner(org, 999).ok() && !api->list_runners(org).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(gate->max(), 3);
  EXPECT_EQ(gate->max(), 3);
}

}  // namespace
}  // namespace ghscale::testing
