// The shape model against the real service models ghscale uses, and error mapping.
#include "aws/protocol/protocol.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/testdata.h"

namespace ghscale::aws::protocol {
namespace {

namespace json = boost::json;

ServiceModel load_model(const std::filesystem::path& root, const std::string& name) {
  auto model = ServiceModel::parse(ghscale::testing::read_file(root / "aws-models" / (name + ".service-2.json")));
  EXPECT_TRUE(model.ok()) << name << ": " << (model.ok() ? "" : model.error().message);
  return std::move(model).value();
}

TEST(ServiceModels, AllOurModelsLoad) {
  GHSCALE_REQUIRE_TESTDATA(root);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"autoscaling", "query"}, {"ec2", "ec2"}, {"ssm", "json"}, {"dynamodb", "json"}, {"events", "json"}, {"sts", "query"}};
  for (const auto& [name, protocol] : expected) {
    const ServiceModel model = load_model(root, name);
    EXPECT_EQ(model.metadata().protocol, protocol) << name;
    EXPECT_FALSE(model.metadata().api_version.empty()) << name;
  }
}

TEST(ServiceModels, Ec2DescribeInstancesUsesQueryNames) {
  GHSCALE_REQUIRE_TESTDATA(root);
  const ServiceModel ec2 = load_model(root, "ec2");
  const Operation* op = ec2.operation("DescribeInstances");
  ASSERT_NE(op, nullptr);
  const json::value params = json::parse(
      R"({"Filters":[{"Name":"tag:ghscale:pool","Values":["linux x64"]}],"InstanceIds":["i-1","i-2"],"MaxResults":5})");
  auto req = serialize_request(ec2.metadata(), *op, params);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->body,
            "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Aghscale%3Apool"
            "&Filter.1.Value.1=linux%20x64&InstanceId.1=i-1&InstanceId.2=i-2&MaxResults=5");
}

TEST(ServiceModels, AutoScalingListsUseMemberAndResultWrapper) {
  GHSCALE_REQUIRE_TESTDATA(root);
  const ServiceModel asg = load_model(root, "autoscaling");
  const Operation* op = asg.operation("DescribeAutoScalingGroups");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->result_wrapper, "DescribeAutoScalingGroupsResult");
  auto req = serialize_request(asg.metadata(), *op, json::parse(R"({"AutoScalingGroupNames":["runners"]})"));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->body, "Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=runners");

  HttpResponse response;
  response.body = R"(<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">
  <DescribeAutoScalingGroupsResult><AutoScalingGroups><member>
    <AutoScalingGroupName>runners</AutoScalingGroupName><DesiredCapacity>2</DesiredCapacity>
    <CreatedTime>2024-05-01T12:00:00.123Z</CreatedTime>
    <Instances><member><InstanceId>i-1</InstanceId><ProtectedFromScaleIn>true</ProtectedFromScaleIn></member></Instances>
  </member></AutoScalingGroups></DescribeAutoScalingGroupsResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>)";
  auto parsed = parse_response(asg.metadata(), *op, asg.shapes(), response);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_FALSE(parsed->error.has_value());
  const auto& group = parsed->output.at("AutoScalingGroups").at(0);
  EXPECT_EQ(group.at("AutoScalingGroupName").as_string(), "runners");
  EXPECT_EQ(group.at("DesiredCapacity").as_int64(), 2);
  EXPECT_DOUBLE_EQ(group.at("CreatedTime").as_double(), 1714564800.123);
  EXPECT_EQ(group.at("Instances").at(0).at("ProtectedFromScaleIn").as_bool(), true);
}

TEST(ServiceModels, DynamoDbTargetAndErrors) {
  GHSCALE_REQUIRE_TESTDATA(root);
  const ServiceModel ddb = load_model(root, "dynamodb");
  const Operation* op = ddb.operation("GetItem");
  ASSERT_NE(op, nullptr);
  auto req = serialize_request(ddb.metadata(), *op, json::parse(R"({"TableName":"t","Key":{"PK":{"S":"a"}}})"));
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(*req->header("X-Amz-Target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(*req->header("Content-Type"), "application/x-amz-json-1.0");

  HttpResponse response{400, {}, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"})"};
  auto parsed = parse_response(ddb.metadata(), *op, ddb.shapes(), response);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->error.has_value());
  EXPECT_EQ(parsed->error->code, "ConditionalCheckFailedException");
  EXPECT_EQ(parsed->error->kind(), ErrorKind::kConflict);
}

TEST(ApiErrors, KindsFollowCodesThenStatus) {
  EXPECT_EQ((ApiError{400, "Throttling", "", "", {}}).kind(), ErrorKind::kThrottled);
  EXPECT_EQ((ApiError{400, "RequestLimitExceeded", "", "", {}}).kind(), ErrorKind::kThrottled);
  EXPECT_EQ((ApiError{403, "AuthFailure", "", "", {}}).kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ((ApiError{400, "InvalidInstanceID.NotFound", "", "", {}}).kind(), ErrorKind::kNotFound);
  EXPECT_EQ((ApiError{503, "Unavailable", "", "", {}}).kind(), ErrorKind::kRetryable);
  EXPECT_EQ((ApiError{400, "ValidationError", "", "", {}}).kind(), ErrorKind::kInvalid);
  EXPECT_EQ((ApiError{400, "InvalidParameterValue", "bad", "req-1", {}}).to_error().message,
            "InvalidParameterValue: bad (request req-1)");
}

TEST(Serialize, RejectsUnknownMembersAndWrongTypes) {
  const json::object shapes = json::parse(R"({
    "In": {"type": "structure", "members": {"Count": {"shape": "Int"}}},
    "Int": {"type": "integer"}})").as_object();
  auto model = ShapeModel::load(shapes);
  ASSERT_TRUE(model.ok());
  Operation op;
  op.name = "Op";
  op.input = model->find("In");
  ServiceMetadata md;
  md.protocol = "query";
  md.api_version = "1";
  auto bad_member = serialize_request(md, op, json::parse(R"({"Nope": 1})"));
  ASSERT_FALSE(bad_member.ok());
  EXPECT_EQ(bad_member.error().kind, ErrorKind::kInvalid);
  auto bad_type = serialize_request(md, op, json::parse(R"({"Count": "x"})"));
  ASSERT_FALSE(bad_type.ok());
  md.protocol = "rest-xml";
  EXPECT_FALSE(serialize_request(md, op, json::parse("{}")).ok());
}

TEST(ShapeModelLoad, RejectsDanglingReferences) {
  auto model = ShapeModel::load(json::parse(R"({"S": {"type": "structure", "members": {"x": {"shape": "Missing"}}}})").as_object());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().kind, ErrorKind::kInvalid);
}

}  // namespace
}  // namespace ghscale::aws::protocol
