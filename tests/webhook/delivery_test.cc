#include "webhook/delivery.h"

#include <gtest/gtest.h>

#include "webhook/form.h"
#include "webhook/timestamp.h"

namespace ghscale::webhook {
namespace {

TEST(Timestamp, ParsesGitHubFormats) {
  // 2021-06-15T19:22:27Z is 1623784947 s after the epoch (date -u -d ... +%s).
  EXPECT_EQ(parse_timestamp("2021-06-15T19:22:27Z"), from_unix_ms(1623784947000));
  EXPECT_EQ(parse_timestamp("2021-06-15T19:22:27.250Z"), from_unix_ms(1623784947250));
  EXPECT_EQ(parse_timestamp("2021-06-15T19:22:27.1239Z"), from_unix_ms(1623784947123));
  EXPECT_EQ(parse_timestamp("2021-06-15T12:22:27-07:00"), from_unix_ms(1623784947000));
  EXPECT_EQ(parse_timestamp("2021-06-16T01:52:27+0630"), from_unix_ms(1623784947000));
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00Z"), from_unix_ms(0));
  EXPECT_EQ(parse_timestamp("2024-02-29T00:00:00z"), from_unix_ms(1709164800000));
}

TEST(Timestamp, RejectsIncompleteOrInvalid) {
  for (const char* bad : {"", "2021-06-15", "2021-06-15T19:22:27", "2021-06-15T19:22Z", "2021-13-01T00:00:00Z",
                          "2023-02-29T00:00:00Z", "2021-06-15T24:00:00Z", "2021-06-15T19:22:27+7",
                          "2021-06-15T19:22:27.Z", "2021-06-15T19:22:27Zjunk", "2021/06/15T19:22:27Z", "1623784947"}) {
    EXPECT_FALSE(parse_timestamp(bad).has_value()) << bad;
  }
}

TEST(Form, DecodesPercentAndPlus) {
  EXPECT_EQ(*form_decode("a%20b+c%2Bd%7b%7D"), "a b c+d{}");
  EXPECT_FALSE(form_decode("%").ok());
  EXPECT_FALSE(form_decode("%4").ok());
  EXPECT_FALSE(form_decode("%zz").ok());
  EXPECT_EQ(form_decode("%4").error().kind, ErrorKind::kInvalid);
}

TEST(Form, FindsThePayloadField) {
  EXPECT_EQ(*form_payload("payload=%7B%22a%22%3A1%7D"), R"({"a":1})");
  EXPECT_EQ(*form_payload("x=1&payload=%7B%7D&y=2"), "{}");
  EXPECT_FALSE(form_payload("payloads=1").ok());
  EXPECT_FALSE(form_payload("").ok());
  EXPECT_FALSE(form_payload("payload").ok());
}

TEST(Form, EncodeDecodeRoundTrip) {
  const std::string json = "{\"name\":\"a b+c&d=e%f\",\"\xC3\xA9\":[1,2]}";
  const std::string body = form_encode_payload(json);
  EXPECT_EQ(body.find(' '), std::string::npos);
  EXPECT_EQ(body.find('&'), std::string::npos);
  EXPECT_EQ(*form_payload(body), json);
}

TEST(ContentType, AcceptsJsonAndFormOnly) {
  EXPECT_EQ(parse_content_type("application/json"), BodyFormat::kJson);
  EXPECT_EQ(parse_content_type("Application/JSON; charset=utf-8"), BodyFormat::kJson);
  EXPECT_EQ(parse_content_type("application/x-www-form-urlencoded"), BodyFormat::kForm);
  EXPECT_FALSE(parse_content_type("").has_value());
  EXPECT_FALSE(parse_content_type("text/plain").has_value());
  EXPECT_FALSE(parse_content_type("application/jsonx").has_value());
  EXPECT_FALSE(parse_content_type("multipart/form-data").has_value());
}

http::Headers delivery_headers(const std::string& event = "workflow_job") {
  http::Headers h;
  h.add("X-GitHub-Event", event);
  h.add("X-GitHub-Delivery", "d-1");
  return h;
}

const TimePoint kNow = from_unix_ms(1700000000000);

Result<Delivery> parse_job(const std::string& body) {
  return parse_delivery(delivery_headers(), BodyFormat::kJson, body, kNow);
}

std::string job_body(const std::string& action, const std::string& job_fields) {
  return R"({"action":")" + action + R"(","workflow_job":{"id":7,)" + job_fields +
         R"(},"repository":{"full_name":"acme/app","owner":{"login":"acme"}}})";
}

TEST(ParseDelivery, MinimalJobGetsDefaults) {
  auto d = parse_job(job_body("queued", R"("run_id":9,"labels":[],"created_at":null,"runner_id":null)"));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_TRUE(d->job.has_value());
  const JobEvent& e = *d->job;
  EXPECT_EQ(e.delivery_id, "d-1");
  EXPECT_EQ(e.event, "workflow_job");
  EXPECT_EQ(e.job_id, 7);
  EXPECT_EQ(e.run_id, 9);
  EXPECT_EQ(e.run_attempt, 1);
  EXPECT_EQ(e.repository, "acme/app");
  EXPECT_EQ(e.owner, "acme");
  EXPECT_EQ(e.installation_id, 0);
  EXPECT_EQ(e.status, JobStatus::kQueued);  // no status field: the action decides
  EXPECT_TRUE(e.labels.empty());
  EXPECT_FALSE(e.created_at.has_value());
  EXPECT_EQ(e.received_at, kNow);
}

TEST(ParseDelivery, StatusAndActionCombineForwardOnly) {
  struct Case {
    const char* action;
    const char* status;
    JobStatus want;
  };
  for (const Case& c :
       {Case{"queued", "waiting", JobStatus::kWaiting}, Case{"queued", "queued", JobStatus::kQueued},
        Case{"waiting", "waiting", JobStatus::kWaiting}, Case{"in_progress", "queued", JobStatus::kInProgress},
        Case{"completed", "in_progress", JobStatus::kCompleted},
        Case{"in_progress", "completed", JobStatus::kCompleted},
        Case{"queued", "some_future_status", JobStatus::kQueued}}) {
    auto d = parse_job(job_body(c.action, std::string(R"("status":")") + c.status + "\""));
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(d->job->status, c.want) << c.action << "/" << c.status;
  }
}

TEST(ParseDelivery, OwnerFallsBackToOrganizationThenFullName) {
  auto d = parse_job(R"({"action":"queued","workflow_job":{"id":1},"repository":{"full_name":"o/r"},)"
                     R"("organization":{"login":"org"}})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->job->owner, "org");
  d = parse_job(R"({"action":"queued","workflow_job":{"id":1},"repository":{"full_name":"o/r"}})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->job->owner, "o");
}

TEST(ParseDelivery, MissingRequiredFieldsAreInvalidAndNamed) {
  struct Case {
    std::string body;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {R"({"workflow_job":{"id":1},"repository":{"full_name":"o/r"}})", "action"},
      {R"({"action":"queued","repository":{"full_name":"o/r"}})", "workflow_job"},
      {R"({"action":"queued","workflow_job":{"run_id":1},"repository":{"full_name":"o/r"}})", "workflow_job.id"},
      {R"({"action":"queued","workflow_job":{"id":null},"repository":{"full_name":"o/r"}})", "workflow_job.id"},
      {R"({"action":"queued","workflow_job":{"id":"1"},"repository":{"full_name":"o/r"}})", "workflow_job.id"},
      {R"({"action":"queued","workflow_job":{"id":0},"repository":{"full_name":"o/r"}})", "workflow_job.id"},
      {R"({"action":"queued","workflow_job":{"id":1}})", "repository"},
      {R"({"action":"queued","workflow_job":{"id":1},"repository":{}})", "repository.full_name"},
      {R"({"action":"queued","workflow_job":{"id":1,"labels":"x"},"repository":{"full_name":"o/r"}})", "labels"},
      {R"({"action":"queued","workflow_job":{"id":1,"created_at":"yesterday"},"repository":{"full_name":"o/r"}})",
       "workflow_job.created_at"},
      {R"({"action":"queued","workflow_job":{"id":1,"runner_id":1.5},"repository":{"full_name":"o/r"}})",
       "workflow_job.runner_id"},
      {R"({"action":"queued","workflow_job":[],"repository":{"full_name":"o/r"}})", "workflow_job"},
      {R"([1,2])", "object"},
      {R"({"action":"queued",)", "malformed JSON"},
      {"", "malformed JSON"},
  };
  for (const Case& c : cases) {
    auto d = parse_job(c.body);
    ASSERT_FALSE(d.ok()) << c.body;
    EXPECT_EQ(d.error().kind, ErrorKind::kInvalid);
    EXPECT_NE(d.error().message.find(c.mentions), std::string::npos) << d.error().message;
  }
}

TEST(ParseDelivery, OtherWorkflowJobActionsCarryNoJob) {
  auto d = parse_job(R"({"action":"some_new_action","workflow_job":{}})");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, "some_new_action");
  EXPECT_FALSE(d->job.has_value());
}

TEST(ParseDelivery, HeadersAreRequiredAndChecked) {
  const std::string body = job_body("queued", R"("run_id":1)");
  http::Headers h;
  EXPECT_FALSE(parse_delivery(h, BodyFormat::kJson, body, kNow).ok());
  h.add("X-GitHub-Event", "workflow_job");
  auto d = parse_delivery(h, BodyFormat::kJson, body, kNow);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("X-GitHub-Delivery"), std::string::npos);
  h.add("X-GitHub-Delivery", "has space");
  EXPECT_FALSE(parse_delivery(h, BodyFormat::kJson, body, kNow).ok());
  h.set("X-GitHub-Delivery", std::string(129, 'a'));
  EXPECT_FALSE(parse_delivery(h, BodyFormat::kJson, body, kNow).ok());
  h.set("X-GitHub-Delivery", "ok-id");
  h.add("X-GitHub-Hook-ID", "12x");
  EXPECT_FALSE(parse_delivery(h, BodyFormat::kJson, body, kNow).ok());
  h.set("X-GitHub-Hook-ID", "123");
  d = parse_delivery(h, BodyFormat::kJson, body, kNow);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hook_id, 123);
}

TEST(ParseDelivery, PingHookIdFromBodyWhenNoHeader) {
  auto d = parse_delivery(delivery_headers("ping"), BodyFormat::kJson, R"({"zen":"z","hook_id":42})", kNow);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hook_id, 42);
  EXPECT_FALSE(d->job.has_value());
}

TEST(ParseDelivery, FormBodyParsesLikeJson) {
  const std::string json = job_body("completed", R"("status":"completed","conclusion":"success","name":"a b")");
  auto a = parse_delivery(delivery_headers(), BodyFormat::kJson, json, kNow);
  auto b = parse_delivery(delivery_headers(), BodyFormat::kForm, form_encode_payload(json), kNow);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->job->job_name, "a b");
  EXPECT_EQ(b->job->conclusion, "success");
  EXPECT_EQ(b->job->status, JobStatus::kCompleted);
  EXPECT_FALSE(parse_delivery(delivery_headers(), BodyFormat::kForm, json, kNow).ok());  // JSON sent as form
}

}  // namespace
}  // namespace ghscale::webhook
