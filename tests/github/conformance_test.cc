// Every call ghscale makes, through the OpenAPI validator (the fixture fails the test on
// any violation); this test also checks that the set of operations covered is complete.
#include <gtest/gtest.h>

#include "github/fixture.h"

namespace ghscale::testing {
namespace {

using fake_github::FakeRunner;

TEST_F(GitHubFixture, EveryCallConformsToTheOpenApiDescription) {
  if (!validator) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
  auto pat = pat_client();
  const auto id = fake->add_runner(FakeRunner{0, "orgs/acme", "r", "Linux", true, false, 1, {"self-hosted"}, {}});
  const auto rid = fake->add_runner(FakeRunner{0, "repos/acme/app", "rr", "Linux", true, true, 1, {"self-hosted"}, {}});
  const auto run = fake->add_run({0, "acme/app", "CI", "queued"});
  const auto job = fake->add_job({0, run, "acme/app", "build", "queued", {"self-hosted"}, 0, {}});
  fake->add_job({0, run, "acme/app", "test", "in_progress", {"self-hosted"}, rid, "rr"});
  for (const auto& scope : {org, repo}) {
    EXPECT_TRUE(pat->list_runners(scope).ok());
    EXPECT_TRUE(pat->list_runners(scope).ok());  // 304
    EXPECT_TRUE(pat->registration_token(scope).ok());
    EXPECT_TRUE(pat->remove_token(scope).ok());
    EXPECT_TRUE(pat->generate_jit_config(scope, {"jit", 1, {"self-hosted"}, "_work"}).ok());
  }
  EXPECT_TRUE(pat->get_runner(org, id).ok());
  EXPECT_TRUE(pat->get_runner(repo, rid).ok());
  EXPECT_FALSE(pat->delete_runner(repo, rid).ok());  // busy: 422
  EXPECT_TRUE(pat->delete_runner(org, id).ok());
  EXPECT_FALSE(pat->get_runner(org, id).ok());  // 404
  EXPECT_TRUE(pat->list_runner_groups(org).ok());
  EXPECT_TRUE(pat->get_job("acme/app", job).ok());
  EXPECT_TRUE(pat->list_queued_runs("acme/app").ok());
  EXPECT_TRUE(pat->list_run_jobs("acme/app", run).ok());
  // History for `workload export`: runs in a time range, and finished jobs with their times.
  const auto done = fake->add_run({0, "acme/app", "CI", "completed", clock->now() - std::chrono::hours(2)});
  fake->add_job({0, done, "acme/app", "build", "completed", {"self-hosted"}, rid, "rr", "failure",
                 clock->now() - std::chrono::hours(2), clock->now() - std::chrono::minutes(110),
                 clock->now() - std::chrono::minutes(100)});
  auto history = pat->list_runs_created("acme/app", clock->now() - std::chrono::hours(48), clock->now());
  ASSERT_TRUE(history.ok()) << history.error().describe();
  EXPECT_EQ(history->size(), 1u);
  auto finished = pat->list_run_jobs("acme/app", done);
  ASSERT_TRUE(finished.ok());
  ASSERT_EQ(finished->size(), 1u);
  EXPECT_TRUE((*finished)[0].completed_at.has_value());
  EXPECT_TRUE(pat->rate_limit().ok());
  EXPECT_TRUE(pat->whoami().ok());

  const auto pat_wire = wire;
  auto app = app_client();
  fake->add_delivery({0, kAppId, {}, clock->now(), 500, "workflow_job", "queued", false});
  EXPECT_TRUE(app->whoami().ok());
  auto deliveries = app->list_failed_deliveries(clock->now() - std::chrono::hours(1));
  ASSERT_TRUE(deliveries.ok());
  ASSERT_FALSE(deliveries->empty());
  EXPECT_TRUE(app->redeliver((*deliveries)[0].id).ok());

  // GET /orgs/{org}/repos is not in the cut description: its answer is held against the
  // description's minimal-repository schema directly, outside the recording transport.
  fake->add_repo("acme/api");
  http::ClientRequest repos_request;
  repos_request.url = server_->api_url() + "/orgs/acme/repos?type=all&per_page=100";
  repos_request.headers.set("Authorization", std::string("Bearer ") + kPat);
  auto repos_answer = http::make_curl_client()->send(repos_request);
  ASSERT_TRUE(repos_answer.ok());
  EXPECT_EQ(repos_answer->status, 200);
  for (const auto& v : validator->check_schema(repos_answer->body, "minimal-repository", true)) ADD_FAILURE() << "OpenAPI: " << v;
  auto unchecked = pat_client(options(), http::make_curl_client());
  auto repos = unchecked->list_org_repos("acme");
  ASSERT_TRUE(repos.ok()) << repos.error().describe();
  EXPECT_EQ(*repos, (std::vector<std::string>{"acme/api", "acme/app"}));

  std::set<std::string> ops = pat_wire->operations();
  for (const auto& op : wire->operations()) ops.insert(op);
  for (const auto& v : pat_wire->violations()) ADD_FAILURE() << "OpenAPI: " << v;
  for (const char* expected :
       {"actions/list-self-hosted-runners-for-org", "actions/list-self-hosted-runners-for-repo",
        "actions/get-self-hosted-runner-for-org", "actions/get-self-hosted-runner-for-repo",
        "actions/delete-self-hosted-runner-from-org", "actions/delete-self-hosted-runner-from-repo",
        "actions/create-registration-token-for-org", "actions/create-registration-token-for-repo",
        "actions/create-remove-token-for-org", "actions/create-remove-token-for-repo",
        "actions/generate-runner-jitconfig-for-org", "actions/generate-runner-jitconfig-for-repo",
        "actions/list-self-hosted-runner-groups-for-org", "actions/get-job-for-workflow-run",
        "actions/list-workflow-runs-for-repo", "actions/list-jobs-for-workflow-run", "rate-limit/get",
        "apps/get-authenticated", "apps/get-org-installation", "apps/create-installation-access-token",
        "apps/list-webhook-deliveries", "apps/redeliver-webhook-delivery"}) {
    EXPECT_TRUE(ops.count(expected)) << "not exercised: " << expected;
  }
}

}  // namespace
}  // namespace ghscale::testing
