// The scale set client against the fake Actions service over loopback: the whole flow,
// and each rude thing the service does (conflicts, empty polls, redelivery, the 50-event
// cap, expired tokens, lost sessions, deleted scale sets, 5xx bursts).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "core/log.h"
#include "github/scaleset_fixture.h"
#include "support/testdata.h"

namespace ghscale::testing {
namespace {

using scaleset::JobEventKind;
using scaleset::Message;

TEST_F(ScaleSetFixture, FullFlowFromTokenExchangeToCompletedJobs) {
  ASSERT_TRUE(client->connect().ok());
  EXPECT_EQ(client->admin_renewals(), 1);
  EXPECT_EQ(client->actions_url(), "http://127.0.0.1:" + std::to_string(server->port()) + "/tenant/1/");

  auto absent = client->get_scale_set(1, "ghscale-linux");
  ASSERT_TRUE(absent.ok()) << absent.error().describe();
  EXPECT_FALSE(absent->has_value());

  const scaleset::ScaleSet set = make_scale_set();
  ASSERT_GT(set.id, 0);
  EXPECT_EQ(set.name, "ghscale-linux");
  EXPECT_EQ(set.runner_group_id, 1);
  EXPECT_EQ(set.labels, (std::vector<std::string>{"ghscale-linux", "x64"}));
  // Ensuring it again finds it as it is: no second create, no update.
  const scaleset::ScaleSet again = make_scale_set();
  EXPECT_EQ(again.id, set.id);
  EXPECT_EQ(actions->requests("create scale set"), 1);
  EXPECT_EQ(actions->requests("update scale set"), 0);

  auto session = scaleset::MessageSession::open(client, set.id, "ghscale-test");
  ASSERT_TRUE(session.ok()) << session.error().describe();
  auto& listener = **session;
  ASSERT_TRUE(listener.session().statistics.has_value());
  EXPECT_EQ(listener.session().statistics->total_assigned_jobs, 0);
  EXPECT_EQ(actions->scale_set(set.id)->session_owner, "ghscale-test");

  const std::int64_t j1 = enqueue(), j2 = enqueue(), j3 = enqueue();
  auto m = listener.get_message(0, 10);
  ASSERT_TRUE(m.ok()) << m.error().describe();
  ASSERT_TRUE(m->has_value());
  const Message first = **m;
  EXPECT_EQ(count_events(first, JobEventKind::kAssigned), 3);
  EXPECT_EQ(first.statistics.total_assigned_jobs, 3);
  EXPECT_EQ(first.events[0].runner_request_id, j1);
  EXPECT_EQ(first.events[0].repository_name, "app");
  EXPECT_EQ(first.events[0].owner_name, "acme");
  EXPECT_EQ(first.events[0].request_labels, std::vector<std::string>{"ghscale-linux"});
  EXPECT_TRUE(first.events[0].queue_time.has_value());
  EXPECT_TRUE(first.events[0].scale_set_assign_time.has_value());
  EXPECT_FALSE(first.events[0].finish_time.has_value());  // Go's zero time reads as none
  EXPECT_EQ(actions->scale_set(set.id)->max_capacity, 10);
  ASSERT_TRUE(listener.delete_message(first.id).ok());
  EXPECT_EQ(actions->scale_set(set.id)->unacknowledged, 0u);

  auto nothing = listener.get_message(first.id, 10);
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());

  // Three runners from scale-set JIT configs take the three jobs.
  std::vector<std::int64_t> runners;
  for (int i = 0; i < 3; ++i) runners.push_back(online_runner(set.id, "runner-" + std::to_string(i)));
  std::vector<std::int64_t> taken;
  for (auto r : runners) {
    auto job = actions->offered_job(r);
    ASSERT_TRUE(job.has_value());
    ASSERT_TRUE(actions->start_job(r, *job));
    taken.push_back(*job);
  }
  EXPECT_EQ(std::set<std::int64_t>(taken.begin(), taken.end()), (std::set<std::int64_t>{j1, j2, j3}));
  m = listener.get_message(first.id, 10);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ(count_events(**m, JobEventKind::kStarted), 3);
  EXPECT_EQ((*m)->statistics.total_running_jobs, 3);
  EXPECT_EQ((*m)->statistics.total_busy_runners, 3);
  EXPECT_EQ((*m)->events[0].runner_id, runners[0]);
  EXPECT_EQ((*m)->events[0].runner_name, "runner-0");
  ASSERT_TRUE(listener.delete_message((*m)->id).ok());
  const std::int64_t last = (*m)->id;

  for (std::size_t i = 0; i < runners.size(); ++i) ASSERT_TRUE(actions->finish_job(runners[i], taken[i]));
  m = listener.get_message(last, 10);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ(count_events(**m, JobEventKind::kCompleted, "succeeded"), 3);
  EXPECT_EQ((*m)->statistics.total_assigned_jobs, 0);
  EXPECT_EQ((*m)->statistics.total_registered_runners, 0);  // JIT runners run one job
  ASSERT_TRUE(listener.delete_message((*m)->id).ok());

  ASSERT_TRUE(listener.close().ok());
  EXPECT_EQ(actions->scale_set(set.id)->session_owner, "");
  EXPECT_EQ(client->admin_renewals(), 1);
  ASSERT_TRUE(client->delete_scale_set(set.id).ok());
  EXPECT_FALSE(actions->scale_set(set.id).has_value());
}

TEST_F(ScaleSetFixture, ASecondSessionIsAConflictUntilTheFirstCloses) {
  const auto set = make_scale_set();
  auto first = scaleset::MessageSession::open(client, set.id, "daemon-a");
  ASSERT_TRUE(first.ok());
  auto second = scaleset::MessageSession::open(client, set.id, "daemon-b");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kConflict);
  EXPECT_NE(second.error().message.find("TaskAgentSessionConflictException"), std::string::npos);
  ASSERT_TRUE((*first)->close().ok());
  second = scaleset::MessageSession::open(client, set.id, "daemon-b");
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(actions->scale_set(set.id)->session_owner, "daemon-b");
}

TEST_F(ScaleSetFixture, AnEmptyPollIs202AndNoMessage) {
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  for (int i = 0; i < 3; ++i) {
    auto m = client->get_message(*session, 0, 5);
    ASSERT_TRUE(m.ok()) << m.error().describe();
    EXPECT_FALSE(m->has_value());
  }
  EXPECT_EQ(actions->requests("get message: nothing"), 3);
}

TEST_F(ScaleSetFixture, TheLongPollEndsEarlyWhenAJobArrives) {
  fake_actions::FakeActionsOptions ao;
  ao.long_poll = std::chrono::seconds(5);
  start(ao);
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  std::thread producer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    enqueue();
  });
  const auto begun = std::chrono::steady_clock::now();
  auto m = client->get_message(*session, 0, 5);
  const auto waited = std::chrono::steady_clock::now() - begun;
  producer.join();
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ(count_events(**m, JobEventKind::kAssigned), 1);
  EXPECT_LT(waited, std::chrono::seconds(4));
}

TEST_F(ScaleSetFixture, StoppingTheFakeEndsAHeldLongPoll) {
  fake_actions::FakeActionsOptions ao;
  ao.long_poll = std::chrono::seconds(30);
  start(ao);
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  std::thread poller([&] { (void)client->get_message(*session, 0, 5); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto begun = std::chrono::steady_clock::now();
  server.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - begun, std::chrono::seconds(5));
  poller.join();
}

TEST_F(ScaleSetFixture, AMessageComesAgainUntilItIsDeleted) {
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  enqueue();
  auto m = client->get_message(*session, 0, 5);
  ASSERT_TRUE(m.ok() && m->has_value());
  const std::int64_t id = (*m)->id;
  EXPECT_EQ((*m)->statistics.total_assigned_jobs, 1);
  enqueue();
  // Not acknowledged, not yet seen by lastMessageId: the same message again, with the
  // statistics of now.
  auto again = client->get_message(*session, 0, 5);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, id);
  EXPECT_EQ((*again)->events.size(), 1u);
  EXPECT_EQ((*again)->statistics.total_assigned_jobs, 2);
  // Seen (lastMessageId): the next message instead, the second job's.
  auto second = client->get_message(*session, id, 5);
  ASSERT_TRUE(second.ok() && second->has_value());
  const std::int64_t id2 = (*second)->id;
  EXPECT_GT(id2, id);
  // Both seen, neither acknowledged: quiet for a while, then the older once more.
  auto quiet = client->get_message(*session, id2, 5);
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->has_value());
  clock->advance(std::chrono::seconds(31));
  again = client->get_message(*session, id2, 5);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, id);
  ASSERT_TRUE(client->delete_message(*session, id).ok());
  ASSERT_TRUE(client->delete_message(*session, id).ok());  // twice is harmless
  ASSERT_TRUE(client->delete_message(*session, id2).ok());
  clock->advance(std::chrono::seconds(31));
  quiet = client->get_message(*session, 0, 5);
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->has_value());
}

TEST_F(ScaleSetFixture, AMessageCarriesAtMostFiftyEventsAndCurrentStatistics) {
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  for (int i = 0; i < 120; ++i) enqueue();
  std::vector<std::size_t> sizes;
  std::int64_t last = 0;
  for (;;) {
    auto m = client->get_message(*session, last, 500);
    ASSERT_TRUE(m.ok()) << m.error().describe();
    if (!m->has_value()) break;
    sizes.push_back((*m)->events.size());
    // Statistics are the service's count now, not the sum of the events so far.
    EXPECT_EQ((*m)->statistics.total_assigned_jobs, 120);
    last = (*m)->id;
    ASSERT_TRUE(client->delete_message(*session, last).ok());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{50, 50, 20}));
}

TEST_F(ScaleSetFixture, TheReportedCapacityBoundsTheJobsAssigned) {
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  for (int i = 0; i < 5; ++i) enqueue();
  auto m = client->get_message(*session, 0, 2);
  ASSERT_TRUE(m.ok() && m->has_value());
  // The jobs queued before the first poll were assigned with no capacity known yet;
  // once 2 is reported, assignments stop at 2 for what comes after.
  EXPECT_EQ((*m)->statistics.total_assigned_jobs, 5);
  ASSERT_TRUE(client->delete_message(*session, (*m)->id).ok());
  enqueue();
  m = client->get_message(*session, (*m)->id, 2);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());
  EXPECT_EQ(actions->statistics(set.id).available, 1);
  EXPECT_EQ(actions->statistics(set.id).assigned, 5);
}

TEST_F(ScaleSetFixture, AnAdminTokenRefusedWith401IsRenewedOnce) {
  const auto set = make_scale_set();
  EXPECT_EQ(client->admin_renewals(), 1);
  actions->expire_admin_tokens();
  auto found = client->get_scale_set_by_id(set.id);
  ASSERT_TRUE(found.ok()) << found.error().describe();
  EXPECT_EQ(client->admin_renewals(), 2);
  EXPECT_EQ(actions->requests("unauthorized"), 1);
  EXPECT_EQ(actions->requests("runner-registration"), 2);
}

TEST_F(ScaleSetFixture, TheAdminTokenIsRenewedBeforeItExpires) {
  fake_actions::FakeActionsOptions ao;
  ao.admin_token_lifetime = std::chrono::minutes(10);
  start(ao);
  const auto set = make_scale_set();
  clock->advance(std::chrono::minutes(8));
  ASSERT_TRUE(client->get_scale_set_by_id(set.id).ok());
  EXPECT_EQ(client->admin_renewals(), 1);
  clock->advance(std::chrono::seconds(75));  // within renew_before (60 s) of expiry
  ASSERT_TRUE(client->get_scale_set_by_id(set.id).ok());
  EXPECT_EQ(client->admin_renewals(), 2);
  EXPECT_EQ(actions->requests("unauthorized"), 0);
}

TEST_F(ScaleSetFixture, AnExpiredQueueTokenRefreshesTheSession) {
  const auto set = make_scale_set();
  auto session = scaleset::MessageSession::open(client, set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  enqueue();
  const std::string old_token = (*session)->session().message_queue_token;
  actions->expire_message_tokens();
  auto m = (*session)->get_message(0, 5);
  ASSERT_TRUE(m.ok()) << m.error().describe();
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*session)->refreshes(), 1);
  EXPECT_NE((*session)->session().message_queue_token, old_token);
  actions->expire_message_tokens();
  ASSERT_TRUE((*session)->delete_message((*m)->id).ok());
  EXPECT_EQ((*session)->refreshes(), 2);
  EXPECT_EQ(actions->scale_set(set.id)->unacknowledged, 0u);
}

TEST_F(ScaleSetFixture, ALostSessionIsReopenedAndItsMessagesComeAgain) {
  const auto set = make_scale_set();
  auto session = scaleset::MessageSession::open(client, set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  enqueue();
  auto m = (*session)->get_message(0, 5);
  ASSERT_TRUE(m.ok() && m->has_value());
  const std::int64_t id = (*m)->id;
  actions->lose_sessions();
  auto again = (*session)->get_message(0, 5);  // the listener died before acknowledging
  ASSERT_TRUE(again.ok()) << again.error().describe();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->id, id);
  EXPECT_EQ((*session)->reopens(), 1);
  EXPECT_EQ(actions->scale_set(set.id)->session_owner, "ghscale-test");
}

TEST_F(ScaleSetFixture, ADeletedScaleSetIsNotFoundAndRecreated) {
  const auto set = make_scale_set();
  enqueue();
  actions->delete_scale_set(set.id);
  auto session = scaleset::MessageSession::open(client, set.id, "ghscale-test");
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(client->get_scale_set_by_id(set.id).error().kind, ErrorKind::kNotFound);
  const auto recreated = make_scale_set();
  EXPECT_NE(recreated.id, set.id);
  session = scaleset::MessageSession::open(client, recreated.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  auto m = (*session)->get_message(0, 5);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ(count_events(**m, JobEventKind::kAssigned), 1);  // the waiting job, assigned again
}

TEST_F(ScaleSetFixture, ChangedLabelsUpdateTheScaleSet) {
  const auto set = make_scale_set();
  scaleset::ScaleSetSpec spec;
  spec.name = "ghscale-linux";
  spec.labels = {"ghscale-linux", "arm64"};
  spec.disable_update = true;
  auto updated = client->ensure_scale_set(spec);
  ASSERT_TRUE(updated.ok()) << updated.error().describe();
  EXPECT_EQ(updated->id, set.id);
  EXPECT_EQ(updated->labels, spec.labels);
  EXPECT_TRUE(updated->disable_update);
  EXPECT_EQ(actions->requests("update scale set"), 1);
}

TEST_F(ScaleSetFixture, FiveHundredsAreRetriedWithBoundedBackoffOnVirtualTime) {
  const auto set = make_scale_set();
  sleeps.clear();
  actions->inject(fake_actions::FakeFault{"GET", "/runnerscalesets/", 503, 2});
  const TimePoint before = clock->now();
  ASSERT_TRUE(client->get_scale_set_by_id(set.id).ok());
  ASSERT_EQ(sleeps.size(), 2u);
  for (auto d : sleeps) EXPECT_LE(d, std::chrono::seconds(30));
  EXPECT_GE(clock->now() - before, sleeps[0] + sleeps[1]);

  sleeps.clear();
  actions->inject(fake_actions::FakeFault{"GET", "/messagequeues/", 502, 100});
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  auto m = client->get_message(*session, 0, 5);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::kRetryable);
  EXPECT_EQ(sleeps.size(), 3u);  // four attempts, three waits
  EXPECT_EQ(actions->requests("fault"), 2 + 4);
}

TEST_F(ScaleSetFixture, AJobNotTakenInTimeIsCanceledAndAssignedAgainThreeTimes) {
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  const std::int64_t job = enqueue();
  int assigned = 0, canceled = 0;
  std::int64_t last = 0;
  auto drain = [&] {
    for (;;) {
      auto m = client->get_message(*session, last, 5);
      ASSERT_TRUE(m.ok());
      if (!m->has_value()) return;
      assigned += count_events(**m, JobEventKind::kAssigned);
      canceled += count_events(**m, JobEventKind::kCompleted, "canceled");
      last = (*m)->id;
      ASSERT_TRUE(client->delete_message(*session, last).ok());
    }
  };
  for (int attempt = 0; attempt < 4; ++attempt) {
    const auto runner = online_runner(set.id, "sleepy-" + std::to_string(attempt));
    ASSERT_EQ(actions->offered_job(runner), job);
    clock->advance(std::chrono::minutes(3));  // the runner never takes it
    actions->settle();
    EXPECT_FALSE(actions->start_job(runner, job));
    drain();
  }
  EXPECT_EQ(assigned, 4);  // the first assignment and three reassignments
  EXPECT_EQ(canceled, 4);
  EXPECT_EQ(actions->job(job)->state, fake_actions::JobState::kCompleted);
  EXPECT_EQ(actions->job(job)->result, "canceled");
  EXPECT_EQ(actions->job(job)->reassignments, 3);
  EXPECT_EQ(actions->statistics(set.id).assigned, 0);
}

TEST_F(ScaleSetFixture, ARunnerNameInUseIsAConflict) {
  const auto set = make_scale_set();
  ASSERT_TRUE(client->generate_jit_config(set.id, "runner-1").ok());
  auto second = client->generate_jit_config(set.id, "runner-1");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kConflict);
}

TEST_F(ScaleSetFixture, ARefusedRegistrationNamesNoToken) {
  actions->set_registration_check([](std::string_view) { return false; });
  auto s = client->connect();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(actions->requests("runner-registration"), 4);  // retried as the reference does
  for (const auto& token : github_fake->issued_tokens()) {
    EXPECT_EQ(s.error().message.find(token), std::string::npos);
  }
  EXPECT_EQ(s.error().message.find(kScaleSetPat), std::string::npos);
}

TEST_F(ScaleSetFixture, GitHubEnterpriseServerPathsWork) {
  start({}, "/api/v3");
  ASSERT_TRUE(client->connect().ok());
  const auto set = make_scale_set();
  ASSERT_GT(set.id, 0);
  bool registered = false;
  for (const auto& ex : wire->exchanges()) {
    if (ex.request.url.ends_with("/api/v3/actions/runner-registration")) {
      registered = true;
      EXPECT_NE(ex.request.body.find("\"url\":\"http://127.0.0.1:" + std::to_string(server->port()) + "/acme\""),
                std::string::npos)
          << "the scope URL drops /api/v3";
    }
  }
  EXPECT_TRUE(registered);
}

struct PemPair {
  std::string private_pem;
  std::string public_pem;
};

PemPair make_app_key() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  PemPair pair;
  for (int pass = 0; pass < 2; ++pass) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (pass == 0) {
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio, key);
    }
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    (pass == 0 ? pair.private_pem : pair.public_pem).assign(data, static_cast<std::size_t>(n));
    BIO_free(bio);
  }
  EVP_PKEY_free(key);
  return pair;
}

TEST_F(ScaleSetFixture, AGitHubAppObtainsTheAdminTokenToo) {
  constexpr std::int64_t kApp = 4242;
  const PemPair key = make_app_key();
  github_fake->add_app(kApp, "ghscale-scaleset", key.public_pem);
  const std::int64_t installation = github_fake->add_installation(kApp, "acme");
  github::Credentials c;
  c.kind = github::Credentials::Kind::kApp;
  c.app_id = kApp;
  c.private_key_pem = key.private_pem;
  c.installation_id = installation;
  auto app_rest = github::RestClient::create(rest_options(), c, wire);
  ASSERT_TRUE(app_rest.ok()) << app_rest.error().describe();
  auto app_client =
      scaleset::Client::create(options(), std::shared_ptr<github::RestClient>(std::move(app_rest).value()), wire);
  ASSERT_TRUE(app_client.ok());
  ASSERT_TRUE((*app_client)->connect().ok());
  scaleset::ScaleSetSpec spec;
  spec.name = "app-set";
  auto set = (*app_client)->create_scale_set(spec);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(set->labels, std::vector<std::string>{"app-set"});  // the name when no labels are given
}

TEST_F(ScaleSetFixture, ConcurrentCallsRenewARefusedAdminTokenOnce) {
  const auto set = make_scale_set();
  actions->expire_admin_tokens();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (client->get_scale_set_by_id(set.id).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(client->admin_renewals(), 2);
  EXPECT_EQ(actions->requests("runner-registration"), 2);
}

TEST_F(ScaleSetFixture, ARunnerThatVanishesGivesItsJobBackOrFailsIt) {
  const auto set = make_scale_set();
  auto session = client->create_session(set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  const auto first = enqueue(), second = enqueue();
  const auto a = online_runner(set.id, "a"), b = online_runner(set.id, "b");
  ASSERT_EQ(actions->offered_job(a), first);
  ASSERT_EQ(actions->offered_job(b), second);
  ASSERT_TRUE(actions->start_job(b, second));
  actions->runner_gone(a);  // before starting: the job waits for another runner
  actions->runner_gone(b);  // while running: the job fails
  EXPECT_EQ(actions->job(first)->state, fake_actions::JobState::kAssigned);
  EXPECT_EQ(actions->job(second)->result, "failed");
  const auto c = online_runner(set.id, "c");
  EXPECT_EQ(actions->offered_job(c), first);
  auto m = client->get_message(*session, 0, 5);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ(count_events(**m, JobEventKind::kAssigned), 2);
  EXPECT_EQ(count_events(**m, JobEventKind::kStarted), 1);
  EXPECT_EQ(count_events(**m, JobEventKind::kCompleted, "failed"), 1);
  EXPECT_EQ((*m)->statistics.total_assigned_jobs, 1);
  EXPECT_EQ((*m)->statistics.total_registered_runners, 1);
}

TEST_F(ScaleSetFixture, ABusyRunnerCannotBeRemoved) {
  const auto set = make_scale_set();
  const auto job = enqueue();
  const auto busy = online_runner(set.id, "busy-runner");
  const auto idle = online_runner(set.id, "idle-runner");
  ASSERT_TRUE(actions->start_job(busy, job));
  auto found = client->get_runner_by_name("busy-runner");
  ASSERT_TRUE(found.ok() && found->has_value()) << (found.ok() ? "" : found.error().describe());
  EXPECT_EQ((*found)->id, busy);
  EXPECT_EQ((*found)->scale_set_id, set.id);
  auto none = client->get_runner_by_name("nobody");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto refused = client->remove_runner(busy);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kConflict);  // JobStillRunningException
  ASSERT_TRUE(client->remove_runner(idle).ok());
  EXPECT_EQ(client->get_runner(idle).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(client->remove_runner(idle).error().kind, ErrorKind::kNotFound);  // AgentNotFoundException
  auto still = client->get_runner(busy);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->name, "busy-runner");
}

TEST_F(ScaleSetFixture, NoTokenReachesTheLog) {
  const auto log_path =
      std::filesystem::temp_directory_path() / ("ghscale-scaleset-log-" + std::to_string(::getpid()) + ".jsonl");
  log::init(log::Format::kJson, log::Level::kDebug, log_path.string());
  const auto set = make_scale_set();
  auto session = scaleset::MessageSession::open(client, set.id, "ghscale-test");
  ASSERT_TRUE(session.ok());
  const auto job = enqueue();
  const auto runner = online_runner(set.id, "logged-runner");
  ASSERT_TRUE(actions->start_job(runner, job));
  actions->expire_message_tokens();
  actions->expire_admin_tokens();
  auto m = (*session)->get_message(0, 5);
  ASSERT_TRUE(m.ok() && m->has_value());
  actions->inject(fake_actions::FakeFault{"", "/runner-registration", 503, 100});
  actions->expire_admin_tokens();
  EXPECT_FALSE(client->get_scale_set_by_id(set.id).ok());
  log::init(log::Format::kJson, log::Level::kInfo);  // back to stderr
  const std::string text = read_file(log_path);
  std::filesystem::remove(log_path);
  EXPECT_NE(text.find("scaleset: connected to the Actions service"), std::string::npos);
  std::vector<std::string> secrets = github_fake->issued_tokens();
  secrets.push_back(kScaleSetPat);
  for (const auto& ex : wire->exchanges()) {
    const std::string auth(ex.request.headers.get("Authorization"));
    if (auth.find(' ') != std::string::npos) secrets.push_back(auth.substr(auth.find(' ') + 1));
    if (auto p = ex.response_body.find("\"encodedJITConfig\":\""); p != std::string::npos) {
      secrets.push_back(ex.response_body.substr(p + 20, ex.response_body.find('"', p + 20) - p - 20));
    }
  }
  ASSERT_GT(secrets.size(), 5u);
  for (const auto& secret : secrets) {
    ASSERT_GE(secret.size(), 8u);
    EXPECT_EQ(text.find(secret), std::string::npos) << "a secret of " << secret.size() << " bytes is in the log";
  }
}

TEST_F(ScaleSetFixture, RunnerGroupsAreFoundByNameAndScaleSetsLiveInThem) {
  const std::int64_t gpu = actions->add_runner_group("gpu");
  auto found = client->get_runner_group("gpu");
  ASSERT_TRUE(found.ok()) << found.error().describe();
  EXPECT_EQ(found->id, gpu);
  EXPECT_FALSE(found->is_default);
  auto fallback = client->get_runner_group("Default");
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->id, 1);
  EXPECT_TRUE(fallback->is_default);
  EXPECT_EQ(client->get_runner_group("nope").error().kind, ErrorKind::kNotFound);

  scaleset::ScaleSetSpec spec;
  spec.name = "ghscale-gpu";
  spec.runner_group_id = gpu;
  auto set = client->ensure_scale_set(spec);
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(set->runner_group_id, gpu);
  EXPECT_EQ(set->runner_group_name, "gpu");
  // The same name in another group is another scale set.
  auto in_default = client->get_scale_set(1, "ghscale-gpu");
  ASSERT_TRUE(in_default.ok());
  EXPECT_FALSE(in_default->has_value());
  spec.runner_group_id = 999;
  EXPECT_EQ(client->create_scale_set(spec).error().kind, ErrorKind::kNotFound);
}

TEST(ScaleSetConfigUrl, FollowsTheApiRoot) {
  const github::Scope org{github::Scope::Kind::kOrg, "acme"};
  const github::Scope repo{github::Scope::Kind::kRepo, "acme/app"};
  const github::Scope ent{github::Scope::Kind::kEnterprise, "big"};
  EXPECT_EQ(*scaleset::config_url_for("https://api.github.com", org), "https://github.com/acme");
  EXPECT_EQ(*scaleset::config_url_for("https://api.github.com/", repo), "https://github.com/acme/app");
  EXPECT_EQ(*scaleset::config_url_for("https://ghe.example.com/api/v3", ent),
            "https://ghe.example.com/enterprises/big");
  EXPECT_EQ(*scaleset::config_url_for("https://api.octo.ghe.com", org), "https://octo.ghe.com/acme");
  EXPECT_EQ(*scaleset::config_url_for("http://127.0.0.1:8080", org), "http://127.0.0.1:8080/acme");
  EXPECT_FALSE(scaleset::config_url_for("http://example.com", org).ok());
}

}  // namespace
}  // namespace ghscale::testing
