#include <gtest/gtest.h>

#include "core/log.h"
#include "github/commands.h"
#include "github/fixture.h"
#include "github/jwt.h"
#include "github/parse.h"

namespace ghscale::testing {
namespace {

using ghscale::ErrorKind;
using fake_github::FakeRunner;

TEST_F(GitHubFixture, EveryRunnerCallForOrgAndRepoScope) {
  auto api = pat_client();
  for (const auto& scope : {org, repo}) {
    const std::string key = scope.path();
    const auto id = fake->add_runner(FakeRunner{0, key, "r-1", "Linux", true, false, 1, {"self-hosted", "x64"}, {}});
    auto runners = api->list_runners(scope);
    ASSERT_TRUE(runners.ok()) << runners.error().describe();
    ASSERT_EQ(runners->size(), 1u);
    EXPECT_EQ((*runners)[0].name, "r-1");
    EXPECT_EQ((*runners)[0].status, github::RunnerStatus::kOnline);
    EXPECT_EQ((*runners)[0].labels, (std::vector<std::string>{"self-hosted", "x64"}));

    auto one = api->get_runner(scope, id);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one->id, id);

    auto reg = api->registration_token(scope);
    ASSERT_TRUE(reg.ok()) << reg.error().describe();
    EXPECT_GT(reg->expires_at, clock->now());
    auto rem = api->remove_token(scope);
    ASSERT_TRUE(rem.ok());

    auto jit = api->generate_jit_config(scope, {"jit-1", 1, {"self-hosted", "linux"}, "_work"});
    ASSERT_TRUE(jit.ok()) << jit.error().describe();
    EXPECT_FALSE(jit->encoded_jit_config.empty());
    EXPECT_EQ(fake->runner(jit->runner.id)->name, "jit-1");
    // The same name again: GitHub answers 409. A name over 64 characters: 422.
    auto again = api->generate_jit_config(scope, {"jit-1", 1, {"self-hosted"}, "_work"});
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
    auto too_long = api->generate_jit_config(scope, {std::string(65, 'j'), 1, {"self-hosted"}, "_work"});
    ASSERT_FALSE(too_long.ok());
    EXPECT_NE(too_long.error().message.find("422"), std::string::npos) << too_long.error().describe();
    EXPECT_TRUE(api->generate_jit_config(scope, {std::string(64, 'j'), 1, {"self-hosted"}, "_work"}).ok());

    ASSERT_TRUE(api->delete_runner(scope, id).ok());
    auto gone = api->get_runner(scope, id);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
    EXPECT_NE(gone.error().message.find("get_runner"), std::string::npos);
  }
}

TEST_F(GitHubFixture, DeletingABusyRunnerIsAConflict) {
  auto api = pat_client();
  const auto id = fake->add_runner(FakeRunner{0, "orgs/acme", "busy-1", "Linux", true, true, 1, {"self-hosted"}, {}});
  auto s = api->delete_runner(org, id);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kConflict);
  EXPECT_TRUE(fake->runner(id).has_value());
}

TEST_F(GitHubFixture, RunnerGroupsResolveByName) {
  auto api = pat_client();
  const auto gpu = fake->add_runner_group("orgs/acme", "GPU");
  auto groups = api->list_runner_groups(org);
  ASSERT_TRUE(groups.ok()) << groups.error().describe();
  EXPECT_EQ(groups->size(), 2u);
  auto id = github::resolve_runner_group(*api, org, "gpu");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, gpu);
  auto missing = github::resolve_runner_group(*api, org, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  auto repo_default = github::resolve_runner_group(*api, repo, "Default");
  ASSERT_TRUE(repo_default.ok());
  EXPECT_EQ(*repo_default, 1);
}

TEST_F(GitHubFixture, JobsAndTheQueuedRunSweep) {
  auto api = pat_client();
  const auto run = fake->add_run({0, "acme/app", "CI", "queued"});
  fake->add_run({0, "acme/app", "Done", "completed"});
  const auto job = fake->add_job({0, run, "acme/app", "build", "queued", {"self-hosted", "linux"}, 0, {}});
  auto got = api->get_job("acme/app", job);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(got->labels, (std::vector<std::string>{"self-hosted", "linux"}));
  EXPECT_EQ(got->status, "queued");
  auto runs = api->list_queued_runs("acme/app");
  ASSERT_TRUE(runs.ok()) << runs.error().describe();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].repository, "acme/app");
  auto jobs = api->list_run_jobs("acme/app", run);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].id, job);
  auto missing = api->get_job("acme/app", 999999);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_F(GitHubFixture, BadNamesNeverReachTheWire) {
  auto api = pat_client();
  const auto before = fake->requests();
  EXPECT_EQ(api->list_runners({github::Scope::Kind::kOrg, "../x"}).error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(api->get_job("acme/app?x=1", 1).error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(fake->requests(), before);
}

TEST_F(GitHubFixture, WrongTokenIsUnauthorizedAndNeverShown) {
  github::Credentials c;
  c.token = "ghp_thisIsNotAValidTokenButLooksLikeOne0123";
  auto api = github::RestClient::create(options(), c, transport());
  ASSERT_TRUE(api.ok());
  auto r = (*api)->list_runners(org);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(r.error().message.find(c.token), std::string::npos);
  EXPECT_EQ(log::redact(c.token).find(c.token), std::string::npos);
}

TEST_F(GitHubFixture, AppAuthDiscoversTheInstallationAndRenewsTheTokenBeforeExpiry) {
  auto api = app_client();
  ASSERT_TRUE(api->list_runners(org).ok());
  EXPECT_EQ(fake->requests_to("/orgs/acme/installation"), 1);
  EXPECT_EQ(fake->requests_to("/app/installations/"), 1);
  // 54 minutes later the 1-hour token is still good for more than 5 minutes: reused.
  clock->advance(std::chrono::minutes(54));
  ASSERT_TRUE(api->list_runners(org).ok());
  EXPECT_EQ(fake->requests_to("/app/installations/"), 1);
  // 56 minutes in, it has less than 5 minutes left: renewed before it lapses.
  clock->advance(std::chrono::minutes(2));
  ASSERT_TRUE(api->list_runners(org).ok());
  EXPECT_EQ(fake->requests_to("/app/installations/"), 2);
  EXPECT_EQ(fake->requests_to("/orgs/acme/installation"), 1);
  // Every issued token is registered as a secret.
  for (const auto& t : fake->issued_tokens()) EXPECT_EQ(log::redact("x " + t).find(t), std::string::npos);
}

TEST_F(GitHubFixture, AppJwtIsVerifiedByTheFake) {
  auto signer = github::AppJwtSigner::create(kAppId, app_key().private_pem);
  ASSERT_TRUE(signer.ok());
  auto jwt = signer->sign(clock->now());
  ASSERT_TRUE(jwt.ok());
  http::Request req;
  req.method = "GET";
  req.target = "/app";
  req.headers.set("Authorization", "Bearer " + *jwt);
  EXPECT_EQ(fake->handle(req).status, 200);
  // Ten minutes on, it has expired.
  clock->advance(std::chrono::minutes(10));
  EXPECT_EQ(fake->handle(req).status, 401);
  // A key that is not the App's.
  auto other = github::AppJwtSigner::create(kAppId, make_rsa_key().private_pem);
  req.headers.set("Authorization", "Bearer " + *other->sign(clock->now()));
  EXPECT_EQ(fake->handle(req).status, 401);
}

TEST_F(GitHubFixture, AppWithConfiguredInstallationAndHookRedelivery) {
  auto api = app_client(installation_id);
  const auto failed = fake->add_delivery({0, kAppId, {}, clock->now() - std::chrono::minutes(5), 502, "workflow_job", "queued", false});
  fake->add_delivery({0, kAppId, {}, clock->now() - std::chrono::minutes(4), 200, "workflow_job", "queued", false});
  fake->add_delivery({0, kAppId, {}, clock->now() - std::chrono::hours(5), 500, "workflow_job", "queued", false});
  auto deliveries = api->list_failed_deliveries(clock->now() - std::chrono::hours(1));
  ASSERT_TRUE(deliveries.ok()) << deliveries.error().describe();
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ((*deliveries)[0].id, failed);
  ASSERT_TRUE(api->redeliver(failed).ok());
  EXPECT_EQ(fake->redelivered(), std::vector<std::int64_t>{failed});
  EXPECT_EQ(fake->requests_to("/orgs/acme/installation"), 0);
  // A PAT cannot use the App's hook log.
  EXPECT_EQ(pat_client()->redeliver(failed).error().kind, ErrorKind::kInvalid);
}

TEST_F(GitHubFixture, WhoamiWithPatAndApp) {
  auto pat = github::whoami_report(*pat_client(), clock->now(), github::OutputFormat::kText);
  ASSERT_TRUE(pat.ok()) << pat.error().describe();
  EXPECT_NE(pat->find("auth:  pat"), std::string::npos);
  EXPECT_NE(pat->find("core"), std::string::npos);
  EXPECT_EQ(pat->find(kPat), std::string::npos);
  auto app = github::whoami_report(*app_client(), clock->now(), github::OutputFormat::kJson);
  ASSERT_TRUE(app.ok()) << app.error().describe();
  EXPECT_NE(app->find("\"auth\":\"app\""), std::string::npos);
  EXPECT_NE(app->find("\"installation_id\":" + std::to_string(installation_id)), std::string::npos);
  EXPECT_NE(app->find("actions_runner_registration"), std::string::npos);
}

TEST_F(GitHubFixture, RunnersAndGroupsReports) {
  auto api = pat_client();
  fake->add_runner(FakeRunner{0, "orgs/acme", "r-9", "Linux", false, false, 1, {"self-hosted"}, {}});
  auto runners = github::runners_report(*api, org, github::OutputFormat::kText);
  ASSERT_TRUE(runners.ok());
  EXPECT_NE(runners->find("r-9"), std::string::npos);
  EXPECT_NE(runners->find("offline"), std::string::npos);
  auto groups = github::groups_report(*api, org, github::OutputFormat::kJson);
  ASSERT_TRUE(groups.ok());
  EXPECT_NE(groups->find("\"name\":\"Default\""), std::string::npos);
}

TEST(GitHubParse, LinkAndTimes) {
  EXPECT_EQ(github::next_link("<https://a/x?page=2>; rel=\"next\", <https://a/x?page=5>; rel=\"last\""),
            "https://a/x?page=2");
  EXPECT_EQ(github::next_link("<https://a/x?page=1>; rel=\"prev\""), std::nullopt);
  auto t = github::parse_iso8601("2024-01-02T03:04:05Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(github::format_iso8601(*t), "2024-01-02T03:04:05Z");
  EXPECT_EQ(github::parse_iso8601("2024-01-02T05:04:05+02:00"), t);
  EXPECT_EQ(github::base64url_encode("\xfb\xff"), "-_8");
}

}  // namespace
}  // namespace ghscale::testing
