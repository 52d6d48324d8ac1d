// Shared set-up for handler tests: a handler over a MemorySink behind a FailingSink, a
// counting Waker and a manual clock, plus checks that a rejected delivery changed nothing.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "core/clock.h"
#include "webhook/examples.h"
#include "webhook/handler.h"
#include "webhook/memory_sink.h"

namespace ghscale::webhook::testing {

class CountingWaker final : public Waker {
 public:
  void wake(const JobEvent&) override { count.fetch_add(1); }
  std::atomic<int> count{0};
};

// A small but realistic queued workflow_job payload, so that bad-input tests do not need
// the shared testdata.
inline const std::string kQueuedBody =
    R"({"action":"queued","workflow_job":{"id":29679449,"run_id":1234,"run_attempt":1,"status":"queued",)"
    R"("conclusion":null,"labels":["self-hosted","linux","x64"],"runner_id":null,"runner_name":null,)"
    R"("runner_group_id":null,"runner_group_name":null,"workflow_name":"CI","name":"build",)"
    R"("created_at":"2024-01-02T03:04:05Z","started_at":"2024-01-02T03:04:05Z","completed_at":null},)"
    R"("repository":{"full_name":"acme/app","owner":{"login":"acme"}},"installation":{"id":55}})";

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override { handler = make_handler(config()); }

  static HandlerConfig config() {
    HandlerConfig c;
    c.secrets = {kSecret};
    return c;
  }

  std::unique_ptr<Handler> make_handler(HandlerConfig c) {
    auto h = Handler::create(std::move(c), clock, sink, waker);
    EXPECT_TRUE(h.ok()) << h.error().describe();
    return std::move(h).value();
  }

  // Sends the request and checks that it was refused with `status`, a JSON error body that
  // mentions `reason` and carries no secret, and that nothing was stored or woken.
  http::Response expect_refused(const http::Request& request, int status, const std::string& reason) {
    const std::size_t stored = memory->size();
    const int woken = waker->count.load();
    http::Response r = handler->handle(request);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.get("Content-Type"), "application/json");
    EXPECT_EQ(r.body.rfind("{\"error\":", 0), 0u) << r.body;
    EXPECT_NE(r.body.find(reason), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos);
    EXPECT_EQ(memory->size(), stored);
    EXPECT_EQ(waker->count.load(), woken);
    return r;
  }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(from_unix_ms(1700000000000));
  std::shared_ptr<MemorySink> memory = std::make_shared<MemorySink>();
  std::shared_ptr<FailingSink> sink = std::make_shared<FailingSink>(memory);
  std::shared_ptr<CountingWaker> waker = std::make_shared<CountingWaker>();
  std::unique_ptr<Handler> handler;
};

}  // namespace ghscale::webhook::testing
