// handle_async(): the same answers as handle(), given only once the sink's write has
// completed, and from the thread that completed it; refusals are answered at once.
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "webhook/handler_fixture.h"

namespace ghscale::webhook::testing {
namespace {

// A sink whose writes complete when the test says so, on a thread of the test's: what a
// queueing store does. Records into a MemorySink at completion.
class DeferredSink final : public EventSink {
 public:
  explicit DeferredSink(std::shared_ptr<MemorySink> target) : target_(std::move(target)) {}
  Result<RecordOutcome> record(const JobEvent& event) override { return target_->record(event); }
  void record_async(const JobEvent& event, RecordDone done) override {
    std::lock_guard lock(mu_);
    pending_.push_back({&event, std::move(done)});
  }
  bool records_asynchronously() const override { return true; }
  bool ready() override { return true; }

  std::size_t pending() {
    std::lock_guard lock(mu_);
    return pending_.size();
  }
  // Completes every pending write on a new thread; `fail` completes them with an error.
  void complete_all(bool fail = false) {
    std::vector<Pending> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(pending_);
    }
    std::thread([&] {
      for (auto& p : batch) {
        if (fail) {
          p.done(make_error(ErrorKind::kRetryable, "disk full"));
        } else {
          p.done(target_->record(*p.event));
        }
      }
    }).join();
  }

 private:
  struct Pending {
    const JobEvent* event;
    RecordDone done;
  };
  const std::shared_ptr<MemorySink> target_;
  std::mutex mu_;
  std::vector<Pending> pending_;  // guarded by mu_
};

class HandlerAsyncTest : public HandlerTest {
 protected:
  void SetUp() override {
    HandlerTest::SetUp();
    deferred = std::make_shared<DeferredSink>(memory);
    auto h = Handler::create(config(), clock, deferred, waker);
    ASSERT_TRUE(h.ok());
    async_handler = std::move(*h);
  }

  // Answers collected from respond, with the thread each came from.
  struct Answers {
    std::mutex mu;
    std::vector<http::Response> responses;
    std::vector<std::thread::id> threads;
    Handler::Respond collector() {
      return [this](http::Response r) {
        std::lock_guard lock(mu);
        responses.push_back(std::move(r));
        threads.push_back(std::this_thread::get_id());
      };
    }
    std::size_t size() {
      std::lock_guard lock(mu);
      return responses.size();
    }
  };

  std::shared_ptr<DeferredSink> deferred;
  std::unique_ptr<Handler> async_handler;
};

TEST_F(HandlerAsyncTest, AnswersOnlyOnceTheWriteCompletedAndFromItsThread) {
  EXPECT_TRUE(async_handler->answers_without_blocking());
  EXPECT_FALSE(handler->answers_without_blocking());  // the fixture's MemorySink records in place
  Answers answers;
  async_handler->handle_async(github_request("workflow_job", "d-1", kQueuedBody), answers.collector());
  async_handler->handle_async(github_request("workflow_job", "d-1", kQueuedBody), answers.collector());
  EXPECT_EQ(answers.size(), 0u);  // nothing before the store has it
  EXPECT_EQ(deferred->pending(), 2u);
  EXPECT_EQ(memory->size(), 0u);
  EXPECT_EQ(waker->count.load(), 0);

  deferred->complete_all();
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers.responses[0].status, 200);
  EXPECT_EQ(answers.responses[0].body, R"({"status":"recorded"})");
  EXPECT_EQ(answers.responses[1].body, R"({"status":"duplicate"})");
  EXPECT_NE(answers.threads[0], std::this_thread::get_id());
  ASSERT_EQ(memory->size(), 1u);
  EXPECT_EQ(memory->events()[0].job_id, 29679449);  // the event the sink read outlived the request
  EXPECT_EQ(memory->events()[0].labels, (LabelSet{"self-hosted", "linux", "x64"}));
  EXPECT_EQ(waker->count.load(), 1);
  const HandlerMetrics& m = async_handler->metrics();
  EXPECT_EQ(m.deliveries("workflow_job", "queued", DeliveryResult::kRecorded), 1u);
  EXPECT_EQ(m.deliveries("workflow_job", "queued", DeliveryResult::kDuplicate), 1u);
  EXPECT_EQ(m.latency_count(), 2u);
}

TEST_F(HandlerAsyncTest, RefusalsAndIgnoredEventsAreAnsweredAtOnceWithoutTheSink) {
  Answers answers;
  async_handler->handle_async(github_request("workflow_job", "d-2", kQueuedBody, "wrong-secret"), answers.collector());
  async_handler->handle_async(github_request("workflow_job", "d-3", "{not json"), answers.collector());
  async_handler->handle_async(github_request("push", "d-4", R"({"ref":"main"})"), answers.collector());
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers.responses[0].status, 401);
  EXPECT_EQ(answers.responses[1].status, 400);
  EXPECT_EQ(answers.responses[2].status, 202);
  for (const auto& t : answers.threads) EXPECT_EQ(t, std::this_thread::get_id());
  EXPECT_EQ(deferred->pending(), 0u);
  EXPECT_EQ(async_handler->metrics().deliveries("push", "", DeliveryResult::kIgnored), 1u);
}

TEST_F(HandlerAsyncTest, AFailedWriteIs503AndNothingIsWoken) {
  Answers answers;
  async_handler->handle_async(github_request("workflow_job", "d-5", kQueuedBody), answers.collector());
  deferred->complete_all(/*fail=*/true);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers.responses[0].status, 503);
  EXPECT_NE(answers.responses[0].body.find("redeliver"), std::string::npos);
  EXPECT_EQ(waker->count.load(), 0);
  EXPECT_EQ(async_handler->metrics().deliveries("workflow_job", "queued", DeliveryResult::kUnavailable), 1u);
}

TEST_F(HandlerAsyncTest, ASynchronousSinkAnswersAtOnceThroughTheFallback) {
  // The fixture's FailingSink over a MemorySink has no queue: record_async() is record().
  Answers answers;
  handler->handle_async(github_request("workflow_job", "d-6", kQueuedBody), answers.collector());
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers.responses[0].status, 200);
  EXPECT_EQ(memory->size(), 1u);
  sink->fail_next(1);
  handler->handle_async(github_request("workflow_job", "d-7", kQueuedBody), answers.collector());
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers.responses[1].status, 503);
  EXPECT_EQ(memory->size(), 1u);
}

}  // namespace
}  // namespace ghscale::webhook::testing
