// The Runtime API loop against the fake Runtime API, in process: responses, invocation
// errors (type header and body), the trace id, init errors, and the end of the loop.
#include "app/lambda/runtime_client.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <future>

#include "fakes/lambda/fake_lambda_runtime.h"

namespace ghscale::app::lambda {
namespace {

using namespace std::chrono_literals;

TEST(RuntimeLoop, AnswersReportsErrorsAndKeepsGoing) {
  auto fake = fakes::FakeLambdaRuntime::start();
  ASSERT_TRUE(fake.ok()) << fake.error().describe();
  RuntimeClient runtime((*fake)->api(), http::make_curl_client());
  std::promise<std::string> seen_trace;
  bool trace_set = false;
  Function fn = [&](const Invocation& inv) -> Result<std::string> {
    EXPECT_FALSE(inv.request_id.empty());
    EXPECT_GT(inv.deadline_ms, 0);
    EXPECT_NE(inv.function_arn.find("arn:aws:lambda:"), std::string::npos);
    if (!inv.trace_id.empty() && !trace_set) {
      const char* t = std::getenv("_X_AMZN_TRACE_ID");
      seen_trace.set_value(t != nullptr ? t : "");
      trace_set = true;
    }
    if (inv.payload == R"({"fail":true})") return make_error(ErrorKind::kConflict, "nope: \"quoted\"");
    return "echo " + inv.payload;
  };
  auto loop = std::async(std::launch::async, [&] { return run_loop(runtime, fn, 2); });

  const std::string ok_id = (*fake)->enqueue(R"({"n":1})", "Root=1-abc;Sampled=1");
  const std::string fail_id = (*fake)->enqueue(R"({"fail":true})");
  const std::string after_id = (*fake)->enqueue(R"({"n":2})");
  auto ok = (*fake)->wait_for(ok_id, 10s);
  ASSERT_TRUE(ok.has_value());
  EXPECT_FALSE(ok->error);
  EXPECT_EQ(ok->body, R"(echo {"n":1})");
  EXPECT_EQ(seen_trace.get_future().get(), "Root=1-abc;Sampled=1");

  auto failed = (*fake)->wait_for(fail_id, 10s);
  ASSERT_TRUE(failed.has_value());
  EXPECT_TRUE(failed->error);
  EXPECT_EQ(failed->error_type, "ghscale.conflict");
  EXPECT_EQ(failed->body, R"({"errorMessage":"nope: \"quoted\"","errorType":"ghscale.conflict"})");

  auto after = (*fake)->wait_for(after_id, 10s);
  ASSERT_TRUE(after.has_value()) << "a handler error does not end the loop";
  EXPECT_EQ(after->body, R"(echo {"n":2})");
  EXPECT_TRUE((*fake)->rejections().empty());

  (*fake)->shutdown();
  ASSERT_EQ(loop.wait_for(30s), std::future_status::ready) << "the loop ends once the Runtime API is gone";
  EXPECT_EQ(loop.get(), 1);
}

TEST(RuntimeLoop, InitErrorGoesToItsEndpoint) {
  auto fake = fakes::FakeLambdaRuntime::start();
  ASSERT_TRUE(fake.ok());
  RuntimeClient runtime((*fake)->api(), http::make_curl_client());
  ASSERT_TRUE(runtime.init_error(make_error(ErrorKind::kInvalid, "bad config")).ok());
  auto e = (*fake)->wait_for_init_error(5s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->error_type, "ghscale.invalid");
  EXPECT_NE(e->body.find("\"errorMessage\":\"bad config\""), std::string::npos);
  // Answering an invocation never handed out is refused.
  EXPECT_FALSE(runtime.respond("req-404", "{}").ok());
}

}  // namespace
}  // namespace ghscale::app::lambda
