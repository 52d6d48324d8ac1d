// The history calls behind `ghscale workload export`: workflow runs created in a time
// range (paged, split when a window reaches GitHub's cap on filtered lists), jobs with
// their timestamps, and an organisation's repositories.
#include <gtest/gtest.h>

#include <set>

#include "github/fixture.h"

namespace ghscale::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using fake_github::FakeJob;
using fake_github::FakeRun;

TEST_F(GitHubFixture, RunsCreatedInARangeArePagedAndFiltered) {
  auto api = pat_client();
  const TimePoint now = clock->now();
  std::set<std::int64_t> wanted;
  wanted.insert(fake->add_run({0, "acme/app", "CI", "completed", now - hours(1)}));
  wanted.insert(fake->add_run({0, "acme/app", "CI", "completed", now - hours(50)}));
  for (int i = 0; i < 230; ++i) wanted.insert(fake->add_run({0, "acme/app", "CI", "completed", now - hours(3) + seconds(i)}));
  fake->add_run({0, "acme/app", "CI", "completed", now - hours(24 * 10)});  // before the range
  fake->add_run({0, "acme/api", "CI", "completed", now - hours(1)});       // another repository

  auto runs = api->list_runs_created("acme/app", now - hours(24 * 7), now);
  ASSERT_TRUE(runs.ok()) << runs.error().describe();
  std::set<std::int64_t> got;
  for (const auto& r : *runs) {
    got.insert(r.id);
    EXPECT_EQ(r.repository, "acme/app");
    ASSERT_TRUE(r.created_at.has_value());
  }
  EXPECT_EQ(runs->size(), got.size()) << "each run once";
  EXPECT_EQ(got, wanted);
  // Under the cap: one query for the whole week, over three pages.
  EXPECT_EQ(fake->requests_to("/repos/acme/app/actions/runs"), 3);

  auto backwards = api->list_runs_created("acme/app", now, now - hours(1));
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.error().kind, ErrorKind::kInvalid);
}

// A fake whose filtered lists stop at 5 runs, as GitHub's stop at 1,000.
class CappedHistoryTest : public GitHubFixture {
 protected:
  void SetUp() override {
    GitHubFixture::SetUp();
    fake_github::FakeGitHubOptions fo;
    fo.clock = clock;
    fo.filtered_list_cap = 5;
    capped = std::make_shared<fake_github::FakeGitHub>(fo);
    capped->add_pat(kPat);
    auto server = fake_github::FakeGitHubServer::start(capped);
    ASSERT_TRUE(server.ok());
    capped_server = std::move(server).value();
  }
  std::unique_ptr<github::RestClient> capped_client() {
    auto o = options();
    o.api_url = capped_server->api_url();
    return pat_client(o, http::make_curl_client());
  }
  std::shared_ptr<fake_github::FakeGitHub> capped;
  std::unique_ptr<fake_github::FakeGitHubServer> capped_server;
};

TEST_F(CappedHistoryTest, ARangeOverTheCapIsSplitIntoDaysThenHalvesUntilEachPartFits) {
  const TimePoint now = clock->now();
  std::set<std::int64_t> wanted;
  // Four days of runs: every 3 hours, and a burst of 9 within an hour on the last day.
  for (int i = 0; i < 14; ++i) wanted.insert(capped->add_run({0, "acme/app", "CI", "completed", now - hours(90) + hours(3 * i)}));
  for (int i = 0; i < 9; ++i) wanted.insert(capped->add_run({0, "acme/app", "CI", "completed", now - hours(5) + minutes(6 * i)}));
  auto runs = capped_client()->list_runs_created("acme/app", now - hours(96), now);
  ASSERT_TRUE(runs.ok()) << runs.error().describe();
  std::set<std::int64_t> got;
  for (const auto& r : *runs) got.insert(r.id);
  EXPECT_EQ(runs->size(), 23u);
  EXPECT_EQ(got, wanted);
}

TEST_F(CappedHistoryTest, MoreRunsInAMinuteThanTheCapKeepsWhatGitHubLists) {
  const TimePoint now = std::chrono::floor<minutes>(clock->now());
  for (int i = 0; i < 8; ++i) capped->add_run({0, "acme/app", "CI", "completed", now - minutes(5) + seconds(i)});
  auto runs = capped_client()->list_runs_created("acme/app", now - hours(1), now);
  ASSERT_TRUE(runs.ok()) << runs.error().describe();
  EXPECT_EQ(runs->size(), 5u);  // the split stops at a minute; GitHub lists no more
}

TEST_F(GitHubFixture, JobsCarryCreatedStartedAndCompletedTimes) {
  auto api = pat_client();
  const TimePoint t0 = std::chrono::floor<seconds>(clock->now() - hours(5));
  const auto run = fake->add_run({0, "acme/app", "CI", "completed", t0});
  FakeJob done{0, run, "acme/app", "build", "completed", {"self-hosted", "linux"}, 0, {}, "success",
               t0, t0 + seconds(40), t0 + seconds(340)};
  const auto done_id = fake->add_job(done);
  const auto running_id = fake->add_job({0, run, "acme/app", "test", "queued", {"self-hosted"}, 0, {}, {}, t0 + seconds(1)});
  clock->advance(seconds(30));
  fake->update_job(running_id, "in_progress", 7, "runner-7");

  auto jobs = api->list_run_jobs("acme/app", run);
  ASSERT_TRUE(jobs.ok()) << jobs.error().describe();
  ASSERT_EQ(jobs->size(), 2u);
  for (const auto& j : *jobs) {
    ASSERT_TRUE(j.created_at && j.started_at);
    if (j.id == done_id) {
      EXPECT_EQ(j.status, "completed");
      EXPECT_EQ(j.conclusion, "success");
      EXPECT_EQ(*j.created_at, t0);
      EXPECT_EQ(*j.started_at, t0 + seconds(40));
      ASSERT_TRUE(j.completed_at.has_value());
      EXPECT_EQ(*j.completed_at - *j.started_at, seconds(300));
    } else {
      EXPECT_EQ(j.status, "in_progress");
      EXPECT_EQ(*j.started_at, std::chrono::floor<seconds>(clock->now()));
      EXPECT_FALSE(j.completed_at.has_value());
    }
  }
}

TEST_F(GitHubFixture, AnOrgsRepositoriesAreListedOverEveryPage) {
  // The cut OpenAPI description lacks GET /orgs/{org}/repos (the conformance test checks
  // its body against minimal-repository), so this client does not record violations.
  auto api = pat_client(options(), http::make_curl_client());
  for (int i = 0; i < 130; ++i) fake->add_repo("acme/repo-" + std::to_string(1000 + i));
  fake->add_repo("other/app");
  auto repos = api->list_org_repos("acme");
  ASSERT_TRUE(repos.ok()) << repos.error().describe();
  EXPECT_EQ(repos->size(), 130u);
  EXPECT_EQ(repos->front(), "acme/repo-1000");
  EXPECT_EQ(fake->requests_to("/orgs/acme/repos"), 2);

  auto unknown = api->list_org_repos("nobody");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(api->list_org_repos("bad/org").error().kind, ErrorKind::kInvalid);
}

}  // namespace
}  // namespace ghscale::testing
