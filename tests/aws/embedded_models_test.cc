// The model slices compiled into the product agree with botocore's full service models:
// every operation ghscale calls is there, and every embedded shape has the same
// members, types and wire names as the original.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "aws/models/models.h"
#include "support/testdata.h"

namespace ghscale::aws {
namespace {

namespace json = boost::json;

void expect_ref_matches(const json::object& ours, const json::object& full, const std::string& where) {
  for (const char* key : {"shape", "locationName", "queryName", "timestampFormat", "flattened", "idempotencyToken"}) {
    const json::value* a = ours.if_contains(key);
    const json::value* b = full.if_contains(key);
    EXPECT_EQ(a == nullptr, b == nullptr) << where << " " << key;
    if (a != nullptr && b != nullptr) {
      EXPECT_EQ(*a, *b) << where << " " << key;
    }
  }
}

TEST(EmbeddedModels, MatchTheFullServiceModels) {
  GHSCALE_REQUIRE_TESTDATA(root);
  const std::map<Service, std::vector<std::string>> expected_ops = {
      {Service::kAutoScaling,
       {"DescribeAutoScalingGroups", "SetDesiredCapacity", "TerminateInstanceInAutoScalingGroup",
        "SetInstanceProtection", "UpdateAutoScalingGroup", "DescribeScalingActivities", "CompleteLifecycleAction"}},
      {Service::kEc2,
       {"RunInstances", "CreateFleet", "DescribeInstances", "TerminateInstances", "CreateTags",
        "DescribeLaunchTemplateVersions"}},
      {Service::kSsm, {"GetParameter", "GetParameters", "GetParametersByPath", "PutParameter", "DeleteParameter"}},
      {Service::kDynamoDb, {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "CreateTable", "DescribeTable"}},
      {Service::kEventBridge, {"PutEvents"}},
      {Service::kSts, {"GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity"}},
  };
  for (const ServiceInfo& info : all_services()) {
    const std::string name(info.model_name);
    const json::object ours = json::parse(embedded_model_text(info.id)).as_object();
    const json::object full =
        json::parse(ghscale::testing::read_file(root / "aws-models" / (name + ".service-2.json"))).as_object();
    for (const char* key : {"apiVersion", "protocol", "targetPrefix", "jsonVersion", "endpointPrefix", "signingName"}) {
      EXPECT_EQ(ours.at("metadata").as_object().if_contains(key) == nullptr,
                full.at("metadata").as_object().if_contains(key) == nullptr)
          << name << " metadata " << key;
    }
    for (const auto& op : expected_ops.at(info.id)) {
      const protocol::Operation* loaded = embedded_model(info.id).operation(op);
      ASSERT_NE(loaded, nullptr) << name << " " << op;
      const json::object& a = ours.at("operations").at(op).as_object();
      const json::object& b = full.at("operations").at(op).as_object();
      EXPECT_EQ(a.at("http").at("requestUri"), b.at("http").at("requestUri")) << op;
      for (const char* io : {"input", "output"}) {
        EXPECT_EQ(a.contains(io), b.contains(io)) << op << " " << io;
        if (a.contains(io)) {
          EXPECT_EQ(a.at(io).at("shape"), b.at(io).at("shape")) << op;
        }
      }
    }
    EXPECT_EQ(ours.at("operations").as_object().size(), expected_ops.at(info.id).size()) << name;
    int shapes = 0;
    for (const auto& [shape_name, shape] : ours.at("shapes").as_object()) {
      ++shapes;
      const std::string where = name + " " + std::string(shape_name);
      const json::value* original = full.at("shapes").as_object().if_contains(shape_name);
      ASSERT_NE(original, nullptr) << where;
      const json::object& a = shape.as_object();
      const json::object& b = original->as_object();
      EXPECT_EQ(a.at("type"), b.at("type")) << where;
      for (const char* k : {"member", "key", "value"}) {
        EXPECT_EQ(a.contains(k), b.contains(k)) << where << " " << k;
        if (a.contains(k)) {
          expect_ref_matches(a.at(k).as_object(), b.at(k).as_object(), where + "." + k);
        }
      }
      if (b.contains("members")) {
        ASSERT_TRUE(a.contains("members")) << where;
        EXPECT_EQ(a.at("members").as_object().size(), b.at("members").as_object().size()) << where;
        for (const auto& [m, ref] : b.at("members").as_object()) {
          const json::value* mine = a.at("members").as_object().if_contains(m);
          ASSERT_NE(mine, nullptr) << where << "." << std::string(m);
          expect_ref_matches(mine->as_object(), ref.as_object(), where + "." + std::string(m));
        }
      }
    }
    EXPECT_GT(shapes, 10) << name;
  }
}

}  // namespace
}  // namespace ghscale::aws
