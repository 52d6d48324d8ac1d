// API Gateway proxy events (HTTP API 2.0, REST 1.0) to requests and answers back.
#include "app/lambda/api_gateway.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace ghscale::app::lambda {
namespace {

namespace json = boost::json;

TEST(ApiGatewayEvent, HttpApiV2) {
  const std::string event = R"({
    "version": "2.0", "routeKey": "POST /webhook", "rawPath": "/prod/webhook", "rawQueryString": "a=1&b=two",
    "cookies": ["c1=v1", "c2=v2"],
    "headers": {"content-type": "application/json", "x-github-event": "workflow_job", "x-forwarded-for": "1.2.3.4, 5.6.7.8"},
    "requestContext": {"http": {"method": "POST", "path": "/prod/webhook", "sourceIp": "192.0.2.7"}},
    "body": "{\"zen\":\"hi\"}", "isBase64Encoded": false})";
  auto parsed = parse_proxy_event(event);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->version, PayloadVersion::kV2);
  const http::Request& r = parsed->request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/prod/webhook?a=1&b=two");
  EXPECT_EQ(r.remote_address, "192.0.2.7");
  EXPECT_EQ(r.body, R"({"zen":"hi"})");
  // Names compare case-insensitively, whatever case API Gateway used.
  EXPECT_EQ(r.headers.get("X-GitHub-Event"), "workflow_job");
  EXPECT_EQ(r.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(r.headers.get("X-Forwarded-For"), "1.2.3.4, 5.6.7.8");
  EXPECT_EQ(r.headers.get("Cookie"), "c1=v1; c2=v2");
}

TEST(ApiGatewayEvent, Base64BodiesAreDecodedToTheExactBytes) {
  // "{\"a\":\"\xc3\xa9\"}\n" — non-ASCII and a trailing newline survive.
  const std::string event = R"({"version": "2.0", "rawPath": "/webhook",
    "requestContext": {"http": {"method": "POST"}}, "headers": {},
    "body": "eyJhIjoiw6kifQo=", "isBase64Encoded": true})";
  auto parsed = parse_proxy_event(event);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->request.body, "{\"a\":\"\xc3\xa9\"}\n");

  const std::string bad = R"({"version": "2.0", "requestContext": {"http": {"method": "POST"}},
    "body": "not base64!", "isBase64Encoded": true})";
  auto refused = parse_proxy_event(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kInvalid);
}

TEST(ApiGatewayEvent, RestApiV1WithMultiValueHeaders) {
  const std::string event = R"({
    "resource": "/webhook", "path": "/webhook", "httpMethod": "POST",
    "headers": {"X-GitHub-Event": "workflow_job", "Accept": "b"},
    "multiValueHeaders": {"X-GitHub-Event": ["workflow_job"], "Accept": ["a", "b"]},
    "queryStringParameters": {"x": "1 2"}, "multiValueQueryStringParameters": {"x": ["1 2"]},
    "requestContext": {"stage": "prod", "path": "/prod/webhook", "identity": {"sourceIp": "198.51.100.1"}},
    "body": "payload", "isBase64Encoded": false})";
  auto parsed = parse_proxy_event(event);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->version, PayloadVersion::kV1);
  const http::Request& r = parsed->request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/webhook?x=1%202");
  EXPECT_EQ(r.remote_address, "198.51.100.1");
  EXPECT_EQ(r.body, "payload");
  EXPECT_EQ(r.headers.get("x-github-event"), "workflow_job");
  int accepts = 0;
  for (const auto& [k, v] : r.headers.items) accepts += http::iequals(k, "accept") ? 1 : 0;
  EXPECT_EQ(accepts, 2) << "every value of a repeated header is kept";
}

TEST(ApiGatewayEvent, RestApiV1WithOnlySingleHeadersAndBase64) {
  const std::string event = R"({"version": "1.0", "httpMethod": "POST", "path": "/webhook",
    "headers": {"Content-Type": "application/json"}, "multiValueHeaders": null,
    "body": "aGVsbG8=", "isBase64Encoded": true})";
  auto parsed = parse_proxy_event(event);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_EQ(parsed->version, PayloadVersion::kV1);
  EXPECT_EQ(parsed->request.headers.get("content-type"), "application/json");
  EXPECT_EQ(parsed->request.body, "hello");
}

TEST(ApiGatewayEvent, OtherEventsAreRefused) {
  for (const std::string& event : {std::string("[]"), std::string("not json"), std::string("{}"),
                                   std::string(R"({"pools": ["linux"]})"),
                                   std::string(R"({"version": "2.0", "requestContext": {}})")}) {
    auto parsed = parse_proxy_event(event);
    ASSERT_FALSE(parsed.ok()) << event;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalid) << event;
  }
}

TEST(ApiGatewayResponse, RendersStatusHeadersAndBody) {
  http::Response res = http::Response::json(401, R"({"error":"bad signature"})");
  res.headers.add("Vary", "a");
  res.headers.add("Vary", "b");
  json::value v2 = json::parse(render_proxy_response(res, PayloadVersion::kV2));
  EXPECT_EQ(v2.at("statusCode").as_int64(), 401);
  EXPECT_EQ(v2.at("body").as_string(), R"({"error":"bad signature"})");
  EXPECT_FALSE(v2.at("isBase64Encoded").as_bool());
  EXPECT_EQ(v2.at("headers").at("Vary").as_string(), "a, b");
  EXPECT_EQ(v2.as_object().if_contains("multiValueHeaders"), nullptr);

  json::value v1 = json::parse(render_proxy_response(res, PayloadVersion::kV1));
  EXPECT_EQ(v1.at("statusCode").as_int64(), 401);
  EXPECT_EQ(v1.at("multiValueHeaders").at("Vary").as_array().size(), 2u);
}

}  // namespace
}  // namespace ghscale::app::lambda
