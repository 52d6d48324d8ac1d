// The fake GitHub's read lag (FakeGitHub::set_read_lag), which serve_aws_test turns on: what
// its HTTP reads show trails what happened, by exactly the lag, while writes and the
// simulation's own calls see the truth. On a manual clock, through handle().
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "sandbox/fake_github/fake_github.h"

namespace ghscale {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kPat = "ghp_lagtest0000000000000000000000000000";

class FakeGitHubLagTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_github::FakeGitHubOptions o;
    o.clock = clock_;
    github_ = std::make_unique<fake_github::FakeGitHub>(o);
    github_->add_pat(kPat);
  }

  http::Response call(const std::string& method, const std::string& target, const std::string& body = {}) {
    http::Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.headers.set("Authorization", std::string("token ") + kPat);
    r.headers.set("Host", "127.0.0.1");
    return github_->handle(r);
  }

  // The org's runners as GET lists them: name -> status ("online"/"offline") and busy.
  std::map<std::string, std::pair<std::string, bool>> listed() {
    const http::Response r = call("GET", "/orgs/acme/actions/runners?per_page=100");
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, std::pair<std::string, bool>> out;
    const json::value body = json::parse(r.body);
    for (const auto& v : body.as_object().at("runners").as_array()) {
      const auto& o = v.as_object();
      out[std::string(o.at("name").as_string())] = {std::string(o.at("status").as_string()), o.at("busy").as_bool()};
    }
    return out;
  }

  std::string job_status(std::int64_t id) {
    const http::Response r = call("GET", "/repos/acme/app/actions/jobs/" + std::to_string(id));
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(json::parse(r.body).as_object().at("status").as_string());
  }

  std::int64_t jit_runner(const std::string& name) {
    const http::Response r = call("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                                  R"({"name":")" + name + R"(","runner_group_id":1,"labels":["self-hosted"]})");
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).as_object().at("runner").as_object().at("id").as_int64();
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::unique_ptr<fake_github::FakeGitHub> github_;
};

TEST_F(FakeGitHubLagTest, RunnersAreListedAsTheyWereTheLagAgo) {
  fake_github::FakeRunner before;
  before.scope = "orgs/acme";
  before.name = "before-the-lag";
  github_->add_runner(before);
  github_->set_read_lag({.runners = 3s, .jobs = 0s});

  const std::int64_t id = jit_runner("late");
  EXPECT_EQ(listed().count("late"), 0u) << "listed at once";
  EXPECT_EQ(listed().count("before-the-lag"), 1u) << "what existed before the lag went missing";
  EXPECT_EQ(call("GET", "/orgs/acme/actions/runners/" + std::to_string(id)).status, 404);
  EXPECT_TRUE(github_->find_runner("orgs/acme", "late")) << "the simulation sees the truth";

  clock_->advance(1s);
  github_->set_runner(id, /*online=*/true, /*busy=*/false);  // registered
  clock_->advance(2s);
  EXPECT_EQ(listed()["late"], std::make_pair(std::string("offline"), false)) << "created 3s ago, registered 2s ago";
  ASSERT_TRUE(github_->claim_runner(id));  // took a job
  clock_->advance(1s);
  EXPECT_EQ(listed()["late"], std::make_pair(std::string("online"), false));
  EXPECT_EQ(call("GET", "/orgs/acme/actions/runners/" + std::to_string(id)).status, 200);
  clock_->advance(2s);
  EXPECT_EQ(listed()["late"], std::make_pair(std::string("online"), true));

  github_->remove_runner(id);  // its one job done
  EXPECT_EQ(listed().count("late"), 1u) << "a removed runner stays listed for the lag";
  EXPECT_FALSE(github_->runner(id));
  EXPECT_EQ(call("DELETE", "/orgs/acme/actions/runners/" + std::to_string(id)).status, 404) << "writes see the truth";
  clock_->advance(3s);
  EXPECT_EQ(listed().count("late"), 0u);

  // A runner not listed yet can be deleted, and is never listed then.
  const std::int64_t unseen = jit_runner("never-listed");
  EXPECT_EQ(call("DELETE", "/orgs/acme/actions/runners/" + std::to_string(unseen)).status, 204);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(listed().count("never-listed"), 0u) << i;
    clock_->advance(1s);
  }
}

TEST_F(FakeGitHubLagTest, AJobReadsQueuedForTheLagAfterItStarted) {
  github_->set_read_lag({.runners = 0s, .jobs = 2s});
  fake_github::FakeRun run;
  run.repo = "acme/app";
  const std::int64_t run_id = github_->add_run(run);
  fake_github::FakeJob job;
  job.run_id = run_id;
  job.repo = "acme/app";
  const std::int64_t id = github_->add_job(job);
  EXPECT_EQ(job_status(id), "queued") << "a new job reads as created";

  clock_->advance(500ms);
  github_->update_job(id, "in_progress", 7, "runner-7");
  EXPECT_EQ(job_status(id), "queued");
  clock_->advance(1500ms);
  EXPECT_EQ(job_status(id), "queued") << "started 1.5s ago";
  clock_->advance(500ms);
  EXPECT_EQ(job_status(id), "in_progress");
  github_->update_job(id, "completed", 7, "runner-7", "success");
  clock_->advance(1s);
  const http::Response jobs = call("GET", "/repos/acme/app/actions/runs/" + std::to_string(run_id) + "/jobs");
  ASSERT_EQ(jobs.status, 200);
  EXPECT_EQ(json::parse(jobs.body).as_object().at("jobs").as_array().at(0).as_object().at("status").as_string(),
            "in_progress")
      << "a run's jobs lag as a job does";
  clock_->advance(1s);
  EXPECT_EQ(job_status(id), "completed");

  // Without a lag, reads are current again.
  github_->set_read_lag({});
  github_->update_job(id, "completed", 7, "runner-7", "failure");
  EXPECT_EQ(job_status(id), "completed");
}

}  // namespace
}  // namespace ghscale
