// The scale set protocol's JSON as ghscale reads it: tolerant where the reference is
// (unknown event kinds, Go's zero times), strict on shape and bounded in size.
#include <gtest/gtest.h>

#include "github/jwt.h"
#include "github/scaleset/wire.h"

namespace ghscale::scaleset::wire {
namespace {

std::string message_with(const std::string& events_json) {
  std::string escaped;
  for (char c : events_json) {
    if (c == '"') escaped += '\\';
    escaped += c;
  }
  return R"({"messageId":7,"messageType":"RunnerScaleSetJobMessages","statistics":{"totalAssignedJobs":3,"totalIdleRunners":1},"body":")" +
         escaped + R"("})";
}

TEST(ScaleSetWire, AMessageKeepsKnownEventsAndCountsUnknownOnes) {
  auto m = parse_message(
      message_with(R"([{"messageType":"JobAssigned","runnerRequestId":5,"requestLabels":["a"],)"
                   R"("queueTime":"2026-01-02T03:04:05.5Z","finishTime":"0001-01-01T00:00:00Z"},)"
                   R"({"messageType":"JobFancy","runnerRequestId":6},)"
                   R"({"messageType":"JobCompleted","runnerRequestId":5,"result":"canceled","runnerId":9}])"),
      10);
  ASSERT_TRUE(m.ok()) << m.error().describe();
  EXPECT_EQ(m->id, 7);
  EXPECT_EQ(m->statistics.total_assigned_jobs, 3);
  EXPECT_EQ(m->statistics.total_idle_runners, 1);
  ASSERT_EQ(m->events.size(), 2u);
  EXPECT_EQ(m->unknown_events, 1);
  EXPECT_EQ(m->events[0].kind, JobEventKind::kAssigned);
  EXPECT_EQ(m->events[0].request_labels, std::vector<std::string>{"a"});
  ASSERT_TRUE(m->events[0].queue_time.has_value());
  EXPECT_EQ(to_unix_ms(*m->events[0].queue_time) % 1000, 500);
  EXPECT_FALSE(m->events[0].finish_time.has_value());
  EXPECT_EQ(m->events[1].result, "canceled");
  EXPECT_EQ(m->events[1].runner_id, 9);
}

TEST(ScaleSetWire, MessagesAreBoundedAndShaped) {
  EXPECT_FALSE(parse_message(message_with(R"([{"messageType":"JobAssigned"},{"messageType":"JobAssigned"}])"), 1).ok());
  EXPECT_FALSE(parse_message(R"({"messageId":1,"messageType":"Other","body":"[]","statistics":{}})", 10).ok());
  EXPECT_FALSE(parse_message(R"({"messageId":1,"messageType":"RunnerScaleSetJobMessages","body":"[]"})", 10).ok())
      << "statistics are required";
  EXPECT_FALSE(parse_message(message_with("not json"), 10).ok());
  EXPECT_FALSE(parse_message("[", 10).ok());
  auto empty =
      parse_message(R"({"messageId":2,"messageType":"RunnerScaleSetJobMessages","body":"","statistics":{}})", 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->events.empty());
}

TEST(ScaleSetWire, TheAdminConnectionNeedsBothFieldsAndTheTokenItsExpiry) {
  EXPECT_FALSE(parse_admin_connection(R"({"url":"https://x/"})").ok());
  EXPECT_FALSE(parse_admin_connection(R"({"token":"t"})").ok());
  auto c = parse_admin_connection(R"({"url":"https://pipelines.example/abc/","token":"a.b.c"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->actions_url, "https://pipelines.example/abc/");
  const std::string token = github::base64url_encode(R"({"alg":"RS256"})") + "." +
                            github::base64url_encode(R"({"exp":1893456000,"iat":1})") + ".sig";
  auto exp = jwt_expiry(token);
  ASSERT_TRUE(exp.has_value());
  EXPECT_EQ(to_unix_ms(*exp), 1893456000000);
  EXPECT_FALSE(jwt_expiry("no-dots").has_value());
  EXPECT_FALSE(jwt_expiry("a.!!!.c").has_value());
  EXPECT_FALSE(
      jwt_expiry(github::base64url_encode("{}") + "." + github::base64url_encode(R"({"iat":1})") + ".s").has_value());
}

TEST(ScaleSetWire, ScaleSetBodiesLookLikeTheReferences) {
  ScaleSetSpec spec;
  spec.name = "linux";
  EXPECT_EQ(render_scale_set(spec),
            R"({"name":"linux","runnerGroupId":1,"labels":[{"type":"System","name":"linux"}],"RunnerSetting":{}})");
  spec.labels = {"a", "b"};
  spec.disable_update = true;
  EXPECT_EQ(render_scale_set(spec),
            R"({"name":"linux","runnerGroupId":1,"labels":[{"type":"System","name":"a"},{"type":"System","name":"b"}],)"
            R"("RunnerSetting":{"disableUpdate":true}})");
  EXPECT_FALSE(parse_scale_set_list(R"({"count":2,"value":[{"id":1},{"id":2}]})", 1).ok());
  auto none = parse_scale_set_list(R"({"count":0,"value":null})", 1);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(parse_scale_set(R"({"name":"no id"})").ok());
}

TEST(ScaleSetWire, ErrorsAndQueryValues) {
  auto ex = parse_exception(R"({"typeName":"TaskAgentSessionConflictException","message":")" + std::string(1000, 'x') +
                            R"("})");
  EXPECT_EQ(ex.type_name, "TaskAgentSessionConflictException");
  EXPECT_LE(ex.message.size(), 300u);
  EXPECT_TRUE(parse_exception("<html>").type_name.empty());
  EXPECT_EQ(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

}  // namespace
}  // namespace ghscale::scaleset::wire
