// Handler rules and bad input. Every refusal also checks that nothing was stored.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "webhook/form.h"
#include "webhook/handler_fixture.h"

namespace ghscale::webhook::testing {
namespace {

TEST_F(HandlerTest, RecordsQueuedJobThenAnswers) {
  http::Response r = handler->handle(github_request("workflow_job", "d-1", kQueuedBody));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"recorded"})");
  ASSERT_EQ(memory->size(), 1u);
  const JobEvent e = memory->events()[0];
  EXPECT_EQ(e.delivery_id, "d-1");
  EXPECT_EQ(e.job_id, 29679449);
  EXPECT_EQ(e.installation_id, 55);
  EXPECT_EQ(e.labels, (LabelSet{"self-hosted", "linux", "x64"}));
  EXPECT_EQ(e.received_at, clock->now());
  EXPECT_EQ(waker->count.load(), 1);
}

TEST_F(HandlerTest, OtherPathIs404) {
  expect_refused(github_request("workflow_job", "d-1", kQueuedBody, kSecret, "application/json", "/other"), 404,
                 "not found");
  expect_refused(github_request("workflow_job", "d-1", kQueuedBody, kSecret, "application/json", "/webhook/"), 404,
                 "not found");
}

TEST_F(HandlerTest, QueryStringDoesNotChangeThePath) {
  auto req = github_request("workflow_job", "d-1", kQueuedBody);
  req.target = "/webhook?source=github";
  EXPECT_EQ(handler->handle(req).status, 200);
}

TEST_F(HandlerTest, OtherMethodIs405WithAllow) {
  for (const char* method : {"GET", "PUT", "DELETE", "post"}) {
    auto req = github_request("workflow_job", "d-1", kQueuedBody);
    req.method = method;
    http::Response r = expect_refused(req, 405, "POST");
    EXPECT_EQ(r.headers.get("Allow"), "POST");
  }
}

TEST_F(HandlerTest, WrongSignatureIs401) {
  expect_refused(github_request("workflow_job", "d-1", kQueuedBody, "not-the-secret"), 401, "does not match");
  EXPECT_EQ(handler->metrics().signature_failures(SignatureFailure::kMismatch), 1u);
}

TEST_F(HandlerTest, MissingSignatureIs401) {
  auto req = github_request("workflow_job", "d-1", kQueuedBody);
  std::erase_if(req.headers.items, [](const auto& h) { return h.first.starts_with("X-Hub-Signature"); });
  expect_refused(req, 401, "missing X-Hub-Signature-256");
  EXPECT_EQ(handler->metrics().signature_failures(SignatureFailure::kMissing), 1u);
}

TEST_F(HandlerTest, Sha1OnlySignatureIs401) {
  auto req = github_request("workflow_job", "d-1", kQueuedBody);  // carries a valid SHA-1 signature too
  std::erase_if(req.headers.items, [](const auto& h) { return h.first == "X-Hub-Signature-256"; });
  ASSERT_NE(req.headers.find("X-Hub-Signature"), nullptr);
  expect_refused(req, 401, "SHA-1");
  EXPECT_EQ(handler->metrics().signature_failures(SignatureFailure::kSha1Only), 1u);
}

TEST_F(HandlerTest, TruncatedBodyFailsTheSignature) {
  auto req = github_request("workflow_job", "d-1", kQueuedBody);
  req.body.resize(req.body.size() / 2);  // cut in transit: signed whole, arrived half
  expect_refused(req, 401, "does not match");
}

TEST_F(HandlerTest, TruncatedBodySignedAsSuchIs400) {
  expect_refused(github_request("workflow_job", "d-1", kQueuedBody.substr(0, kQueuedBody.size() / 2)), 400,
                 "malformed JSON");
}

TEST_F(HandlerTest, BodyOverTheLimitIs413) {
  HandlerConfig c = config();
  c.max_body_bytes = kQueuedBody.size() - 1;
  handler = make_handler(c);
  expect_refused(github_request("workflow_job", "d-1", kQueuedBody), 413, "larger than");
  c.max_body_bytes = kQueuedBody.size();
  handler = make_handler(c);
  EXPECT_EQ(handler->handle(github_request("workflow_job", "d-1", kQueuedBody)).status, 200);
}

TEST_F(HandlerTest, DefaultLimitIs25MiB) {
  EXPECT_EQ(HandlerConfig{}.max_body_bytes, 25u * 1024 * 1024);
  std::string big(25 * 1024 * 1024 + 1, ' ');
  expect_refused(github_request("workflow_job", "d-1", big), 413, "larger than");
}

TEST_F(HandlerTest, MalformedJsonIs400) {
  expect_refused(github_request("workflow_job", "d-1", "{\"action\":\"queued\",}"), 400, "malformed JSON");
  expect_refused(github_request("workflow_job", "d-2", "not json"), 400, "malformed JSON");
  expect_refused(github_request("workflow_job", "d-3", ""), 400, "malformed JSON");
  expect_refused(github_request("workflow_job", "d-4", "\"just a string\""), 400, "not an object");
}

TEST_F(HandlerTest, MissingJobIdIs400) {
  std::string body = kQueuedBody;
  body.replace(body.find("\"id\":29679449,"), std::string("\"id\":29679449,").size(), "");
  expect_refused(github_request("workflow_job", "d-1", body), 400, "workflow_job.id: missing");
}

TEST_F(HandlerTest, MissingActionOrRepositoryIs400) {
  std::string no_action = kQueuedBody;
  no_action.replace(0, std::string(R"({"action":"queued",)").size(), "{");
  expect_refused(github_request("workflow_job", "d-1", no_action), 400, "action: missing");
  std::string no_repo = kQueuedBody;
  const std::string repo = R"("repository":{"full_name":"acme/app","owner":{"login":"acme"}},)";
  no_repo.replace(no_repo.find(repo), repo.size(), "");
  expect_refused(github_request("workflow_job", "d-2", no_repo), 400, "repository: missing");
}

TEST_F(HandlerTest, MissingDeliveryOrEventHeaderIs400) {
  auto req = github_request("workflow_job", "d-1", kQueuedBody);
  std::erase_if(req.headers.items, [](const auto& h) { return h.first == "X-GitHub-Delivery"; });
  expect_refused(req, 400, "X-GitHub-Delivery");
  req = github_request("workflow_job", "d-1", kQueuedBody);
  std::erase_if(req.headers.items, [](const auto& h) { return h.first == "X-GitHub-Event"; });
  expect_refused(req, 400, "X-GitHub-Event");
}

TEST_F(HandlerTest, WrongContentTypeIs415) {
  expect_refused(github_request("workflow_job", "d-1", kQueuedBody, kSecret, "text/plain"), 415, "content type");
  auto req = github_request("workflow_job", "d-1", kQueuedBody);
  std::erase_if(req.headers.items, [](const auto& h) { return h.first == "Content-Type"; });
  expect_refused(req, 415, "content type");
}

TEST_F(HandlerTest, UnknownEventIs202AndStoresNothing) {
  for (const char* event : {"workflow_run", "push", "some_future_event"}) {
    http::Response r = handler->handle(github_request(event, std::string("d-") + event, kQueuedBody));
    EXPECT_EQ(r.status, 202) << event;
    EXPECT_EQ(r.body, R"({"status":"ignored"})");
  }
  EXPECT_EQ(memory->size(), 0u);
  EXPECT_EQ(waker->count.load(), 0);
  EXPECT_EQ(handler->metrics().deliveries("workflow_run", "queued", DeliveryResult::kIgnored), 1u);
  EXPECT_EQ(handler->metrics().deliveries("other", "queued", DeliveryResult::kIgnored), 2u);
}

TEST_F(HandlerTest, UnknownWorkflowJobActionIs202) {
  std::string body = kQueuedBody;
  body.replace(0, std::string(R"({"action":"queued")").size(), R"({"action":"some_new_action")");
  EXPECT_EQ(handler->handle(github_request("workflow_job", "d-1", body)).status, 202);
  EXPECT_EQ(memory->size(), 0u);
}

TEST_F(HandlerTest, DuplicateDeliveryIsRecordedOnce) {
  EXPECT_EQ(handler->handle(github_request("workflow_job", "d-1", kQueuedBody)).body, R"({"status":"recorded"})");
  http::Response again = handler->handle(github_request("workflow_job", "d-1", kQueuedBody));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, R"({"status":"duplicate"})");
  EXPECT_EQ(memory->size(), 1u);
  EXPECT_EQ(waker->count.load(), 1);  // a duplicate changes nothing, so wakes no one
}

TEST_F(HandlerTest, SinkFailureIs503ThenRedeliverySucceeds) {
  sink->fail_next(1, ErrorKind::kRetryable);
  expect_refused(github_request("workflow_job", "d-1", kQueuedBody), 503, "redeliver");
  EXPECT_EQ(sink->failures_injected(), 1);
  http::Response r = handler->handle(github_request("workflow_job", "d-1", kQueuedBody));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"recorded"})");
  EXPECT_EQ(memory->size(), 1u);
  EXPECT_EQ(waker->count.load(), 1);
}

TEST_F(HandlerTest, SinkNotReadyIs503) {
  sink->set_ready(false);
  EXPECT_FALSE(handler->ready());
  expect_refused(github_request("workflow_job", "d-1", kQueuedBody), 503, "not ready");
  sink->set_ready(true);
  EXPECT_EQ(handler->handle(github_request("workflow_job", "d-1", kQueuedBody)).status, 200);
}

TEST_F(HandlerTest, SecretRotationAcceptsEitherSecret) {
  HandlerConfig c = config();
  c.secrets = {"old-secret-value", "new-secret-value"};
  handler = make_handler(c);
  EXPECT_EQ(handler->handle(github_request("workflow_job", "d-1", kQueuedBody, "old-secret-value")).status, 200);
  EXPECT_EQ(handler->handle(github_request("workflow_job", "d-2", kQueuedBody, "new-secret-value")).status, 200);
  expect_refused(github_request("workflow_job", "d-3", kQueuedBody, "third-secret-value"), 401, "does not match");
  EXPECT_EQ(memory->size(), 2u);
}

TEST_F(HandlerTest, HeaderNamesAreCaseInsensitive) {
  // API Gateway HTTP APIs and HTTP/2 hand headers over in lower case.
  auto req = github_request("workflow_job", "d-1", kQueuedBody);
  for (auto& [name, value] : req.headers.items) {
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  EXPECT_EQ(handler->handle(req).status, 200);
}

TEST_F(HandlerTest, FormEncodedDeliveryIsRecorded) {
  auto req = github_request("workflow_job", "d-1", form_encode_payload(kQueuedBody), kSecret,
                            "application/x-www-form-urlencoded");
  EXPECT_EQ(handler->handle(req).status, 200);
  ASSERT_EQ(memory->size(), 1u);
  EXPECT_EQ(memory->events()[0].job_id, 29679449);
}

TEST_F(HandlerTest, CreateRejectsBadConfig) {
  HandlerConfig c;
  EXPECT_EQ(Handler::create(c, clock, sink).error().kind, ErrorKind::kInvalid);  // no secret
  c.secrets = {""};
  EXPECT_FALSE(Handler::create(c, clock, sink).ok());
  c.secrets = {"s3cret"};
  c.path = "webhook";
  EXPECT_FALSE(Handler::create(c, clock, sink).ok());
  c.path = "/hook";
  EXPECT_FALSE(Handler::create(c, clock, nullptr).ok());
  EXPECT_TRUE(Handler::create(c, clock, sink).ok());  // waker is optional
}

TEST_F(HandlerTest, ConcurrentDeliveriesAreEachRecordedOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every delivery id is sent by two threads: one records, the other sees a duplicate.
        const std::string id = "d-" + std::to_string((t / 2) * kPerThread + i);
        EXPECT_EQ(handler->handle(github_request("workflow_job", id, kQueuedBody)).status, 200);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(memory->size(), static_cast<std::size_t>(kThreads / 2 * kPerThread));
  EXPECT_EQ(handler->metrics().deliveries("workflow_job", "queued", DeliveryResult::kRecorded), 100u);
  EXPECT_EQ(handler->metrics().deliveries("workflow_job", "queued", DeliveryResult::kDuplicate), 100u);
  EXPECT_EQ(handler->metrics().latency_count(), 200u);
}

}  // namespace
}  // namespace ghscale::webhook::testing
