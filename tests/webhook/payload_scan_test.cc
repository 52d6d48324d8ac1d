// The one-pass field scan behind parse_delivery(): it must read a payload as a JSON
// object lookup would (last duplicate wins, an object given twice counts once, nested
// fields of the same name elsewhere are not taken), and refuse what is not JSON.
#include <gtest/gtest.h>

#include <string>

#include "webhook/delivery.h"
#include "webhook/payload_scan.h"

namespace ghscale::webhook {
namespace {

http::Headers job_headers() {
  http::Headers h;
  h.add("X-GitHub-Event", "workflow_job");
  h.add("X-GitHub-Delivery", "d-1");
  return h;
}

Result<Delivery> parse(const std::string& body) {
  return parse_delivery(job_headers(), BodyFormat::kJson, body, from_unix_ms(1700000000000));
}

std::string job(const std::string& job_fields, const std::string& extra = "") {
  return R"({"action":"queued","workflow_job":{)" + job_fields + R"(},"repository":{"full_name":"acme/app"})" + extra +
         "}";
}

TEST(PayloadScan, NestedFieldsOfTheSameNameAreNotTaken) {
  // steps[].name and steps[].id sit inside workflow_job but are not its name or id.
  auto d = parse(job(R"("id":7,"name":"build","steps":[{"name":"checkout","id":99,"labels":["x"]}],)"
                     R"("labels":["linux"],"runner":{"runner_name":"no"})"));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d->job->job_id, 7);
  EXPECT_EQ(d->job->job_name, "build");
  EXPECT_EQ(d->job->labels, (LabelSet{"linux"}));
  EXPECT_EQ(d->job->runner_name, "");
  EXPECT_EQ(d->job->owner, "acme");  // from full_name when no owner object is given
}

TEST(PayloadScan, TheLastOfDuplicateKeysWinsAndAnObjectGivenTwiceCountsOnce) {
  auto d = parse(R"({"action":"completed","action":"queued","workflow_job":{"id":1,"run_id":5,"labels":["a"]},)"
                 R"("workflow_job":{"id":2,"labels":["b"],"labels":["c","d"]},"repository":{"full_name":"o/r"}})");
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d->action, "queued");
  EXPECT_EQ(d->job->job_id, 2);
  EXPECT_EQ(d->job->run_id, 0);  // only in the first workflow_job
  EXPECT_EQ(d->job->labels, (LabelSet{"c", "d"}));
}

TEST(PayloadScan, EscapesAndLongStringsAreKeptWhole) {
  const std::string long_name(20000, 'n');
  auto d = parse(job(R"("id":3,"runner_name":"a\"b\u00e9\n","workflow_name":")" + long_name + R"(\t",)"
                     R"("labels":["self-\u0068osted"])"));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d->job->runner_name, "a\"b\xC3\xA9\n");
  EXPECT_EQ(d->job->workflow_name, long_name + "\t");
  EXPECT_EQ(d->job->labels, (LabelSet{"self-hosted"}));
}

TEST(PayloadScan, OwnerFromTheRepositoryThenTheOrganization) {
  auto with_owner = parse(job(R"("id":3)", R"(,"organization":{"login":"org"},"repository":{"full_name":"x/y","owner":{"login":"own"}})"));
  ASSERT_TRUE(with_owner.ok());
  EXPECT_EQ(with_owner->job->owner, "own");
  EXPECT_EQ(with_owner->job->repository, "x/y");
  auto from_org = parse(job(R"("id":3)", R"(,"organization":{"login":"org"},"installation":{"id":12})"));
  ASSERT_TRUE(from_org.ok());
  EXPECT_EQ(from_org->job->owner, "org");
  EXPECT_EQ(from_org->job->installation_id, 12);
}

TEST(PayloadScan, WrongTypesNameTheirField) {
  auto expect_error = [](const std::string& body, const std::string& message) {
    auto d = parse(body);
    ASSERT_FALSE(d.ok()) << body;
    EXPECT_EQ(d.error().kind, ErrorKind::kInvalid);
    EXPECT_EQ(d.error().message, message) << body;
  };
  expect_error(job(R"("id":1.5)"), "workflow_job.id: expected an integer");
  expect_error(job(R"("id":"7")"), "workflow_job.id: expected an integer");
  expect_error(job(R"("id":18446744073709551615)"), "workflow_job.id: expected an integer");
  expect_error(job(R"("id":null)"), "workflow_job.id: missing");
  expect_error(job(R"("id":-4)"), "workflow_job.id: must be positive");
  expect_error(job(R"("id":4,"labels":"linux")"), "workflow_job.labels: expected an array");
  expect_error(job(R"("id":4,"labels":["linux",["x"]])"), "workflow_job.labels: expected strings");
  expect_error(job(R"("id":4,"labels":["linux",null])"), "workflow_job.labels: expected strings");
  expect_error(job(R"("id":4,"name":{"x":1})"), "workflow_job.name: expected a string");
  expect_error(job(R"("id":4,"created_at":"yesterday")"), "workflow_job.created_at: expected an ISO-8601 date-time");
  expect_error(R"({"action":"queued","workflow_job":[1],"repository":{"full_name":"o/r"}})",
               "workflow_job: expected an object");
  expect_error(R"({"action":"queued","repository":{"full_name":"o/r"}})", "workflow_job: missing");
  expect_error(R"({"action":"queued","workflow_job":{"id":1},"repository":{"full_name":7}})",
               "repository.full_name: expected a string");
  expect_error(R"({"action":"queued","workflow_job":{"id":1},"repository":{"owner":{"login":"x"}}})",
               "repository.full_name: missing");
  expect_error(R"({"action":5})", "action: expected a string");
  expect_error(R"([{"action":"queued"}])", "JSON body is not an object");
  expect_error(R"("queued")", "JSON body is not an object");
}

TEST(PayloadScan, WhatIsNotOneJsonDocumentIsMalformed) {
  for (const std::string body : {"{not json", "{} {}", "{\"a\":1} x", "", "{\"a\":[1,2}", "{\"a\":\"\\x\"}"}) {
    auto scanned = scan_payload(body);
    ASSERT_FALSE(scanned.ok()) << body;
    EXPECT_EQ(scanned.error().message.rfind("malformed JSON body: ", 0), 0u) << scanned.error().message;
  }
  // Deeper than the parser's limit (32) is refused rather than followed.
  EXPECT_FALSE(scan_payload(std::string(40, '[') + std::string(40, ']')).ok());
}

}  // namespace
}  // namespace ghscale::webhook
