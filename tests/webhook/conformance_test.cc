// Every example payload GitHub documents (npm @octokit/webhooks-examples), signed and sent
// as GitHub sends it, JSON and form-encoded; workflow_job fields checked against the JSON.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <ctime>
#include <set>

#include "support/testdata.h"
#include "webhook/delivery.h"
#include "webhook/form.h"
#include "webhook/handler_fixture.h"

namespace ghscale::webhook::testing {
namespace {

namespace json = boost::json;

// Absent and null are the same to the parser (the oldest example lacks a few fields).
const json::value& field(const json::object& o, const char* key) {
  static const json::value kNull;
  const json::value* v = o.if_contains(key);
  return v != nullptr ? *v : kNull;
}

// An independent reading of the example's times: the C library, not our parser.
std::optional<TimePoint> expected_time(const json::object& job, const char* key) {
  const json::value& v = field(job, key);
  if (v.is_null()) return std::nullopt;
  std::tm tm{};
  const char* end = strptime(v.as_string().c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  EXPECT_TRUE(end != nullptr && *end == '\0') << "test only knows Z times: " << v.as_string();
  return from_unix_ms(static_cast<std::int64_t>(timegm(&tm)) * 1000);
}

std::int64_t int_or(const json::value& v, std::int64_t fallback) {
  return v.is_null() ? fallback : v.to_number<std::int64_t>();
}
std::string string_or_empty(const json::value& v) { return v.is_null() ? std::string() : std::string(v.as_string()); }

void expect_job_matches(const JobEvent& e, const Example& ex, TimePoint received) {
  SCOPED_TRACE("example " + ex.delivery_id + " action " + ex.action);
  const json::object& job = ex.payload.at("workflow_job").as_object();
  EXPECT_EQ(e.delivery_id, ex.delivery_id);
  EXPECT_EQ(e.event, "workflow_job");
  EXPECT_EQ(e.action, ex.action);
  EXPECT_EQ(e.job_id, job.at("id").to_number<std::int64_t>());
  EXPECT_EQ(e.run_id, job.at("run_id").to_number<std::int64_t>());
  EXPECT_EQ(e.run_attempt, int_or(field(job, "run_attempt"), 1));
  EXPECT_EQ(e.repository, ex.payload.at("repository").at("full_name").as_string());
  EXPECT_EQ(e.owner, ex.payload.at("repository").at("owner").at("login").as_string());
  const json::value* inst = ex.payload.if_contains("installation");
  EXPECT_EQ(e.installation_id, inst != nullptr ? inst->at("id").to_number<std::int64_t>() : 0);
  std::vector<std::string> labels;
  for (const auto& l : job.at("labels").as_array()) labels.emplace_back(l.as_string());
  EXPECT_EQ(e.labels, LabelSet(labels));
  // The payload's status is the job's state (see delivery.cc); in these examples the
  // action never moves it further.
  EXPECT_EQ(to_string(e.status), job.at("status").as_string());
  EXPECT_EQ(e.conclusion, string_or_empty(field(job, "conclusion")));
  EXPECT_EQ(e.runner_id, int_or(field(job, "runner_id"), 0));
  EXPECT_EQ(e.runner_name, string_or_empty(field(job, "runner_name")));
  EXPECT_EQ(e.runner_group_id, int_or(field(job, "runner_group_id"), 0));
  EXPECT_EQ(e.runner_group_name, string_or_empty(field(job, "runner_group_name")));
  EXPECT_EQ(e.workflow_name, string_or_empty(field(job, "workflow_name")));
  EXPECT_EQ(e.job_name, string_or_empty(field(job, "name")));
  EXPECT_EQ(e.created_at, expected_time(job, "created_at"));
  EXPECT_EQ(e.started_at, expected_time(job, "started_at"));
  EXPECT_EQ(e.completed_at, expected_time(job, "completed_at"));
  EXPECT_EQ(e.received_at, received);
}

class ConformanceTest : public HandlerTest, public ::testing::WithParamInterface<bool> {
 protected:
  // true: form-encoded body, as a hook with content type "form" sends it.
  http::Request request_for(const Example& ex) {
    if (!GetParam()) return github_request(ex.event, ex.delivery_id, ex.body);
    return github_request(ex.event, ex.delivery_id, form_encode_payload(ex.body), kSecret,
                          "application/x-www-form-urlencoded");
  }
};

TEST_P(ConformanceTest, EveryExampleIsAcceptedAndJobsMatchTheirJson) {
  GHSCALE_REQUIRE_TESTDATA(testdata);
  const std::vector<Example> examples = load_examples(testdata);
  ASSERT_GE(examples.size(), 20u);
  std::size_t jobs = 0, pings = 0, ignored = 0;
  std::set<std::string> job_actions;
  for (const Example& ex : examples) {
    SCOPED_TRACE(ex.event + "/" + ex.action);
    clock->advance(std::chrono::seconds(1));
    const std::size_t before = memory->size();
    http::Response r = handler->handle(request_for(ex));
    if (ex.event == "workflow_job") {
      ++jobs;
      job_actions.insert(ex.action);
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.body, R"({"status":"recorded"})");
      ASSERT_EQ(memory->size(), before + 1);
      expect_job_matches(memory->events().back(), ex, clock->now());
    } else if (ex.event == "ping") {
      ++pings;
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.body, R"({"hook_id":292430182})");  // the header wins over the body
    } else {
      ++ignored;
      EXPECT_EQ(r.status, 202) << r.body;
      EXPECT_EQ(r.body, R"({"status":"ignored"})");
      EXPECT_EQ(memory->size(), before);
    }
  }
  EXPECT_EQ(jobs, 8u);
  EXPECT_EQ(pings, 4u);
  EXPECT_EQ(job_actions, (std::set<std::string>{"queued", "waiting", "in_progress", "completed"}));
  EXPECT_EQ(waker->count.load(), static_cast<int>(jobs));
  EXPECT_EQ(handler->metrics().deliveries("ping", "", DeliveryResult::kPong), pings);
  EXPECT_EQ(handler->metrics().deliveries("workflow_run", "completed", DeliveryResult::kIgnored), 3u);
  // installation, installation_repositories and meta: unknown events and actions are
  // folded into "other", so the label set stays closed.
  EXPECT_EQ(ignored, 17u);
  EXPECT_EQ(handler->metrics().deliveries("installation", "created", DeliveryResult::kIgnored), 12u);
  EXPECT_EQ(handler->metrics().deliveries("other", "other", DeliveryResult::kIgnored), 12u);
}

TEST_P(ConformanceTest, PingWithoutHookHeaderAnswersTheBodyHookId) {
  GHSCALE_REQUIRE_TESTDATA(testdata);
  for (const Example& ex : load_examples(testdata)) {
    if (ex.event != "ping") continue;
    http::Request req = request_for(ex);
    std::erase_if(req.headers.items, [](const auto& h) { return h.first == "X-GitHub-Hook-ID"; });
    http::Response r = handler->handle(req);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"hook_id\":" + std::to_string(ex.payload.at("hook_id").to_number<std::int64_t>()) + "}");
  }
}

TEST_P(ConformanceTest, TheRealQuirksAreKept) {
  GHSCALE_REQUIRE_TESTDATA(testdata);
  bool saw_waiting_under_queued = false, saw_queued_with_runner = false;
  for (const Example& ex : load_examples(testdata)) {
    if (ex.event != "workflow_job" || ex.action != "queued") continue;
    ASSERT_EQ(handler->handle(request_for(ex)).status, 200);
    const JobEvent e = memory->events().back();
    if (e.status == JobStatus::kWaiting) saw_waiting_under_queued = true;
    if (e.runner_id != 0) {
      saw_queued_with_runner = true;
      EXPECT_EQ(e.status, JobStatus::kQueued);  // a runner id alone does not mean it started
      EXPECT_EQ(e.runner_name, "GitHub Actions 5");
    }
  }
  EXPECT_TRUE(saw_waiting_under_queued);
  EXPECT_TRUE(saw_queued_with_runner);
}

// Hand-read values of one example, so a shared mistake in the JSON-driven comparison
// above cannot hide. This example is the oldest shape: no run_attempt, workflow_name or
// created_at at all.
TEST_P(ConformanceTest, OldestInProgressExampleByHand) {
  GHSCALE_REQUIRE_TESTDATA(testdata);
  for (const Example& ex : load_examples(testdata)) {
    if (ex.event != "workflow_job" || ex.payload.at("workflow_job").at("id") != 2832853555) continue;
    ASSERT_EQ(handler->handle(request_for(ex)).status, 200);
    const JobEvent e = memory->events().back();
    EXPECT_EQ(e.run_id, 940463255);
    EXPECT_EQ(e.run_attempt, 1);
    EXPECT_EQ(e.repository, "octo-org/example-workflow");
    EXPECT_EQ(e.owner, "octo-org");
    EXPECT_EQ(e.labels, (LabelSet{"gpu", "db-app", "dc-03"}));
    EXPECT_EQ(e.status, JobStatus::kInProgress);
    EXPECT_EQ(e.runner_id, 1);
    EXPECT_EQ(e.runner_name, "my runner");
    EXPECT_EQ(e.runner_group_id, 2);
    EXPECT_EQ(e.runner_group_name, "my runner group");
    EXPECT_EQ(e.job_name, "Test workflow");
    EXPECT_EQ(e.workflow_name, "");
    EXPECT_FALSE(e.created_at.has_value());
    EXPECT_EQ(e.started_at, from_unix_ms(1623784947000));  // 2021-06-15T19:22:27Z
    EXPECT_FALSE(e.completed_at.has_value());
    return;
  }
  FAIL() << "example 2832853555 not found";
}

INSTANTIATE_TEST_SUITE_P(Body, ConformanceTest, ::testing::Values(false, true), [](const auto& param_info) {
  return param_info.param ? std::string("Form") : std::string("Json");
});

// The header names the handler reads are the ones GitHub's webhook OpenAPI description
// declares for every delivery (header names compare case-insensitively).
TEST(OpenApi, DeliveryHeadersAndContentTypeMatchGitHubsDescription) {
  GHSCALE_REQUIRE_TESTDATA(testdata);
  const json::value spec =
      json::parse(ghscale::testing::read_file(testdata / "github" / "github-webhooks-workflow.openapi.json"));
  const json::object& hooks = spec.at("webhooks").as_object();
  ASSERT_GE(hooks.size(), 5u);
  for (const auto& [name, hook] : hooks) {
    SCOPED_TRACE(std::string(name));
    const json::object& post = hook.at("post").as_object();
    std::vector<std::string> declared;
    for (const auto& p : post.at("parameters").as_array()) {
      if (p.at("in").as_string() == "header") declared.emplace_back(p.at("name").as_string());
    }
    for (std::string_view ours :
         {kEventHeader, kDeliveryHeader, kHookIdHeader, kSignature256Header, std::string_view("User-Agent")}) {
      const bool found =
          std::any_of(declared.begin(), declared.end(), [&](const std::string& d) { return http::iequals(d, ours); });
      EXPECT_TRUE(found) << ours << " is not a header GitHub declares";
    }
    const json::object& content = post.at("requestBody").at("content").as_object();
    ASSERT_TRUE(content.contains(kJsonContentType));
    for (const auto& [type, unused] : content) {
      EXPECT_TRUE(parse_content_type(std::string_view(type.data(), type.size())).has_value()) << type;
    }
  }
  // The example signature in the description has the shape we parse (prefix, hex).
  for (const auto& p : hooks.at("workflow-job-queued").at("post").at("parameters").as_array()) {
    if (p.at("name").as_string() != kSignature256Header) continue;
    EXPECT_EQ(std::string_view(p.at("example").as_string()).substr(0, kSignaturePrefix.size()), kSignaturePrefix);
  }
}

}  // namespace
}  // namespace ghscale::webhook::testing
