// The fake Actions service mirrored into the fake GitHub, seen through the REST client as
// the daemon's sweep sees it: a scale set's job is also a REST job of a workflow run of its
// repository, and follows the job's life (queued, in_progress with its runner, completed
// with its conclusion; taken back and assigned again, it stays one REST job).
#include <gtest/gtest.h>

#include <optional>

#include "github/scaleset_fixture.h"

namespace ghscale::testing {
namespace {

using scaleset::JobEventKind;

class ScaleSetMirrorTest : public ScaleSetFixture {
 protected:
  void SetUp() override {
    ScaleSetFixture::SetUp();
    actions->mirror_runners_into(github_fake, "orgs/acme");
  }

  // The runs the sweep would find queued in acme/app.
  std::vector<std::int64_t> queued_runs() {
    auto runs = rest->list_queued_runs("acme/app");
    EXPECT_TRUE(runs.ok()) << runs.error().describe();
    std::vector<std::int64_t> ids;
    if (runs.ok()) {
      for (const auto& r : *runs) ids.push_back(r.id);
    }
    return ids;
  }

  github::WorkflowJob rest_job(std::int64_t request_id) {
    const auto job = actions->job(request_id);
    EXPECT_TRUE(job.has_value());
    if (!job) return {};
    auto got = rest->get_job("acme/app", job->rest_job_id);
    EXPECT_TRUE(got.ok()) << got.error().describe();
    return got.ok() ? *got : github::WorkflowJob{};
  }

  std::vector<scaleset::JobEvent> drain(const scaleset::Session& session) {
    std::vector<scaleset::JobEvent> events;
    for (;;) {
      auto m = client->get_message(session, last_message_, 10);
      EXPECT_TRUE(m.ok());
      if (!m.ok() || !m->has_value()) return events;
      events.insert(events.end(), (*m)->events.begin(), (*m)->events.end());
      last_message_ = (*m)->id;
      EXPECT_TRUE(client->delete_message(session, last_message_).ok());
    }
  }

  std::int64_t last_message_ = 0;
};

TEST_F(ScaleSetMirrorTest, AJobIsAlsoARestJobThatFollowsItsLife) {
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  const std::int64_t job = enqueue("ghscale-linux", 7);
  const auto fake = actions->job(job);
  ASSERT_TRUE(fake.has_value());
  ASSERT_NE(fake->rest_job_id, 0);
  ASSERT_NE(fake->rest_run_id, 0);

  // Queued: its run is listed as queued, and lists the job with the labels runs-on asked for.
  EXPECT_EQ(queued_runs(), std::vector<std::int64_t>{fake->rest_run_id});
  auto listed = rest->list_run_jobs("acme/app", fake->rest_run_id);
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, fake->rest_job_id);
  EXPECT_EQ((*listed)[0].status, "queued");
  EXPECT_EQ((*listed)[0].labels, std::vector<std::string>{"ghscale-linux"});
  EXPECT_EQ((*listed)[0].runner_id, 0);
  // The message names the same run, as GitHub's do; the job has another id there.
  const auto assigned = drain(*session);
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].kind, JobEventKind::kAssigned);
  EXPECT_EQ(assigned[0].workflow_run_id, fake->rest_run_id);
  EXPECT_NE(assigned[0].runner_request_id, fake->rest_job_id);

  // Offered to a runner, it is still queued; started, it is in progress on that runner.
  const auto runner = online_runner(set.id, "runner-1");
  ASSERT_EQ(actions->offered_job(runner), job);
  EXPECT_EQ(rest_job(job).status, "queued");
  ASSERT_TRUE(actions->start_job(runner, job));
  github::WorkflowJob running = rest_job(job);
  EXPECT_EQ(running.status, "in_progress");
  EXPECT_EQ(running.runner_id, runner);
  EXPECT_EQ(running.runner_name, "runner-1");
  EXPECT_TRUE(queued_runs().empty()) << "a run whose job started is in progress";

  clock->advance(std::chrono::seconds(30));
  ASSERT_TRUE(actions->finish_job(runner, job, "succeeded"));
  const github::WorkflowJob done = rest_job(job);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(done.conclusion, "success");
  EXPECT_EQ(done.runner_name, "runner-1");
  ASSERT_TRUE(done.started_at && done.completed_at);
  EXPECT_EQ(*done.completed_at - *done.started_at, std::chrono::seconds(30));
  listed = rest->list_run_jobs("acme/app", fake->rest_run_id);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u) << "one REST job per job";
  EXPECT_TRUE(queued_runs().empty());
}

TEST_F(ScaleSetMirrorTest, AJobTakenBackAndAssignedAgainStaysOneRestJob) {
  const auto set = make_scale_set();
  const std::int64_t job = enqueue();
  const std::int64_t rest_id = actions->job(job)->rest_job_id;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const auto runner = online_runner(set.id, "sleepy-" + std::to_string(attempt));
    ASSERT_EQ(actions->offered_job(runner), job);
    clock->advance(std::chrono::minutes(3));  // the runner never takes it
    actions->settle();
    if (attempt < 3) {
      const github::WorkflowJob again = rest_job(job);
      EXPECT_EQ(again.id, rest_id);
      EXPECT_EQ(again.status, "queued") << "taken back and assigned again: queued, not a new job";
      EXPECT_EQ(again.runner_id, 0);
    }
  }
  const github::WorkflowJob canceled = rest_job(job);
  EXPECT_EQ(canceled.status, "completed");
  EXPECT_EQ(canceled.conclusion, "cancelled");
  auto listed = rest->list_run_jobs("acme/app", actions->job(job)->rest_run_id);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
  EXPECT_TRUE(queued_runs().empty());
}

TEST_F(ScaleSetMirrorTest, JobsOfOneRunShareItAndARunnerLostFailsItsJob) {
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  fake_actions::FakeJobSpec spec;
  spec.scale_set_name = "ghscale-linux";
  spec.labels = {"ghscale-linux", "x64"};  // runs-on: labels the scale set has
  spec.workflow_run_id = 3;
  const std::int64_t first = *actions->enqueue_job(spec);
  const std::int64_t second = *actions->enqueue_job(spec);
  const std::int64_t run = actions->job(first)->rest_run_id;
  EXPECT_EQ(actions->job(second)->rest_run_id, run);
  EXPECT_EQ(rest_job(first).labels, (std::vector<std::string>{"ghscale-linux", "x64"}));
  const auto events = drain(*session);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].request_labels, (std::vector<std::string>{"ghscale-linux", "x64"}));

  const auto a = online_runner(set.id, "a");
  ASSERT_EQ(actions->offered_job(a), first);
  ASSERT_TRUE(actions->start_job(a, first));
  EXPECT_TRUE(queued_runs().empty()) << "a run with a job in progress is in progress";
  actions->runner_gone(a);
  const github::WorkflowJob failed = rest_job(first);
  EXPECT_EQ(failed.status, "completed");
  EXPECT_EQ(failed.conclusion, "failure");
  EXPECT_EQ(failed.runner_id, a);
  EXPECT_EQ(rest_job(second).status, "queued");

  const auto b = online_runner(set.id, "b");
  ASSERT_EQ(actions->offered_job(b), second);
  ASSERT_TRUE(actions->start_job(b, second));
  ASSERT_TRUE(actions->finish_job(b, second));
  auto runs = rest->list_run_jobs("acme/app", run);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  for (const auto& j : *runs) EXPECT_EQ(j.status, "completed");

  // A later job of that run id is a new run: the first one is completed.
  const std::int64_t third = *actions->enqueue_job(spec);
  EXPECT_NE(actions->job(third)->rest_run_id, run);
  EXPECT_EQ(queued_runs(), std::vector<std::int64_t>{actions->job(third)->rest_run_id});
}

TEST_F(ScaleSetFixture, WithoutAMirrorJobsStayTheServicesOwn) {
  const std::int64_t job = enqueue("ghscale-linux", 7);
  EXPECT_EQ(actions->job(job)->rest_job_id, 0);
  auto runs = rest->list_queued_runs("acme/app");
  ASSERT_TRUE(runs.ok()) << runs.error().describe();
  EXPECT_TRUE(runs->empty());
}

}  // namespace
}  // namespace ghscale::testing
