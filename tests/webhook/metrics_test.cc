#include "webhook/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "webhook/handler_fixture.h"

namespace ghscale::webhook::testing {
namespace {

TEST(Metrics, UnknownLabelsFoldIntoOther) {
  HandlerMetrics m;
  m.count_delivery("push", "opened", DeliveryResult::kIgnored);
  m.count_delivery("issues", "closed", DeliveryResult::kIgnored);
  m.count_delivery("", "", DeliveryResult::kNotFound);
  EXPECT_EQ(m.deliveries("other", "other", DeliveryResult::kIgnored), 2u);
  EXPECT_EQ(m.deliveries("none", "none", DeliveryResult::kNotFound), 1u);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  HandlerMetrics m;
  m.observe_latency(std::chrono::microseconds(50));   // <= 0.0001
  m.observe_latency(std::chrono::microseconds(300));  // <= 0.0005
  m.observe_latency(std::chrono::seconds(10));        // +Inf only
  std::string out;
  m.append_prometheus(out);
  EXPECT_NE(out.find("ghscale_webhook_request_duration_seconds_bucket{le=\"0.0001\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("ghscale_webhook_request_duration_seconds_bucket{le=\"0.00025\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("ghscale_webhook_request_duration_seconds_bucket{le=\"0.0005\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find("ghscale_webhook_request_duration_seconds_bucket{le=\"2.5\"} 2\n"), std::string::npos);
  EXPECT_NE(out.find("ghscale_webhook_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(out.find("ghscale_webhook_request_duration_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(out.find("ghscale_webhook_request_duration_seconds_sum 10.00035\n"), std::string::npos) << out;
}

TEST_F(HandlerTest, MetricsExposeDeliveriesInPrometheusTextFormat) {
  handler->handle(github_request("workflow_job", "d-1", kQueuedBody));
  handler->handle(github_request("workflow_job", "d-1", kQueuedBody));
  handler->handle(github_request("workflow_job", "d-2", kQueuedBody, "wrong-secret"));
  handler->handle(github_request("ping", "d-3", R"({"hook_id":1})"));

  std::string out = "# something before\n";
  handler->append_metrics(out);
  EXPECT_EQ(out.rfind("# something before\n", 0), 0u);  // appends, never replaces
  for (const char* line : {
           "ghscale_webhook_deliveries_total{event=\"workflow_job\",action=\"queued\",result=\"recorded\"} 1\n",
           "ghscale_webhook_deliveries_total{event=\"workflow_job\",action=\"queued\",result=\"duplicate\"} 1\n",
           "ghscale_webhook_deliveries_total{event=\"workflow_job\",action=\"none\",result=\"unauthorized\"} 1\n",
           "ghscale_webhook_deliveries_total{event=\"ping\",action=\"none\",result=\"pong\"} 1\n",
           "ghscale_webhook_signature_failures_total{reason=\"mismatch\"} 1\n",
           "ghscale_webhook_signature_failures_total{reason=\"missing\"} 0\n",
           "ghscale_webhook_request_duration_seconds_count 4\n",
           "# TYPE ghscale_webhook_deliveries_total counter\n",
           "# TYPE ghscale_webhook_signature_failures_total counter\n",
           "# TYPE ghscale_webhook_request_duration_seconds histogram\n",
       }) {
    EXPECT_NE(out.find(line), std::string::npos) << "missing: " << line << out;
  }

  // Every line is a comment or "name{labels} value", every name is ours and declared by a
  // # TYPE line before its first sample.
  const std::regex sample(R"(^(ghscale_webhook_[a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$)");
  std::istringstream lines(out.substr(out.find('\n') + 1));
  std::string line;
  std::set<std::string> typed;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (family.ends_with(suffix) && family.starts_with("ghscale_webhook_request_duration_seconds")) {
        family.resize(family.size() - std::string(suffix).size());
      }
    }
    EXPECT_TRUE(typed.contains(family)) << line;
  }
}

}  // namespace
}  // namespace ghscale::webhook::testing
