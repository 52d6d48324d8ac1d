// The IAM policies in deploy/aws hold to least privilege: every action is a real operation
// of its service (checked against the botocore models in the shared testdata), mutating
// EC2 and Auto Scaling actions are bound to this deployment's tag (the role's own
// ghscale:deployment tag, so another deployment's runners in the account are out of reach),
// launches use only this deployment's launch templates, SSM stays under the prefix (the
// role's ghscale:ssm-prefix tag, as provider.ssm_prefix is configurable), the instance role
// reaches only its own parameter, and iam:PassRole is constrained.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Services whose model the shared testdata holds: "ec2" → ec2.service-2.json.
const std::set<std::string> kModelledServices = {"autoscaling", "dynamodb", "ec2", "events", "ssm", "sts"};
// Actions of services without a model there, each allowed for a stated reason.
const std::set<std::string> kUnmodelledActions = {
    "iam:PassRole",  // launching with a template whose instance profile holds the runner role
};

struct Statement {
  std::string sid;
  std::string effect;
  std::vector<std::string> actions;
  std::vector<std::string> resources;
  json::object condition;
};

std::vector<std::string> strings(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) {
    out.emplace_back(v->as_string());
  } else if (v->is_array()) {
    for (const auto& e : v->as_array()) out.emplace_back(e.as_string());
  }
  return out;
}

std::vector<Statement> load_policy(const std::string& name) {
  const auto doc = json::parse(testing::read_file(testing::source_dir() / "deploy/aws" / name)).as_object();
  EXPECT_EQ(doc.at("Version").as_string(), "2012-10-17") << name;
  std::vector<Statement> out;
  for (const auto& s : doc.at("Statement").as_array()) {
    const auto& o = s.as_object();
    Statement st;
    if (const auto* sid = o.if_contains("Sid")) st.sid = std::string(sid->as_string());
    st.effect = std::string(o.at("Effect").as_string());
    st.actions = strings(o.if_contains("Action"));
    st.resources = strings(o.if_contains("Resource"));
    if (const auto* c = o.if_contains("Condition")) st.condition = c->as_object();
    // Negated elements grant more than they seem to: none here.
    EXPECT_FALSE(o.contains("NotAction") || o.contains("NotResource") || o.contains("NotPrincipal")) << st.sid;
    out.push_back(std::move(st));
  }
  return out;
}

std::pair<std::string, std::string> split_action(const std::string& action) {
  const auto colon = action.find(':');
  return {action.substr(0, colon), colon == std::string::npos ? "" : action.substr(colon + 1)};
}

bool read_only(const std::string& operation) {
  return operation.rfind("Describe", 0) == 0 || operation.rfind("Get", 0) == 0 || operation.rfind("List", 0) == 0;
}

// Condition keys of a statement, across operators: "aws:ResourceTag/ghscale:pool", ...
std::vector<std::string> condition_keys(const Statement& st) {
  std::vector<std::string> keys;
  for (const auto& [op, block] : st.condition) {
    for (const auto& [key, value] : block.as_object()) keys.emplace_back(key);
  }
  return keys;
}

bool has_ghscale_tag_condition(const Statement& st) {
  for (const auto& key : condition_keys(st)) {
    for (const char* prefix : {"aws:ResourceTag/ghscale:", "aws:RequestTag/ghscale:", "ec2:ResourceTag/ghscale:",
                               "autoscaling:ResourceTag/ghscale:"}) {
      if (key.rfind(prefix, 0) == 0) return true;
    }
  }
  return false;
}

// A resource whose mutation would touch capacity ghscale may not own.
bool capacity_resource(const std::string& arn) {
  return arn == "*" || arn.find(":instance/") != std::string::npos || arn.find(":fleet/") != std::string::npos ||
         arn.find(":autoScalingGroup:") != std::string::npos;
}

constexpr const char* kThisDeployment = "${aws:PrincipalTag/ghscale:deployment}";
constexpr const char* kPrefixParameter = "arn:aws:ssm:*:*:parameter${aws:PrincipalTag/ghscale:ssm-prefix}";

// The value a StringEquals condition requires of `key`, or "" when it requires none.
std::string string_equals(const Statement& st, const std::string& key) {
  const auto* equals = st.condition.if_contains("StringEquals");
  if (equals == nullptr) return "";
  const auto* v = equals->as_object().if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

class IamPolicyTest : public ::testing::Test {
 protected:
  std::vector<Statement> daemon_ = load_policy("iam-policy.json");
  std::vector<Statement> instance_ = load_policy("instance-role-policy.json");
};

TEST_F(IamPolicyTest, StatementsAreExplicitAllows) {
  for (const auto* policy : {&daemon_, &instance_}) {
    std::set<std::string> sids;
    for (const auto& st : *policy) {
      EXPECT_FALSE(st.sid.empty());
      EXPECT_TRUE(sids.insert(st.sid).second) << "duplicate Sid " << st.sid;
      EXPECT_EQ(st.effect, "Allow") << st.sid;
      EXPECT_FALSE(st.actions.empty()) << st.sid;
      EXPECT_FALSE(st.resources.empty()) << st.sid;
      for (const auto& a : st.actions) EXPECT_EQ(a.find('*'), std::string::npos) << st.sid << ": wildcard " << a;
    }
  }
}

TEST_F(IamPolicyTest, EveryActionIsAnOperationOfItsService) {
  GHSCALE_REQUIRE_TESTDATA(td);
  std::map<std::string, json::object> operations;
  for (const auto* policy : {&daemon_, &instance_}) {
    for (const auto& st : *policy) {
      for (const auto& action : st.actions) {
        const auto [service, operation] = split_action(action);
        if (!kModelledServices.contains(service)) {
          EXPECT_TRUE(kUnmodelledActions.contains(action)) << st.sid << ": " << action << " has no model to check";
          continue;
        }
        if (!operations.contains(service)) {
          const auto model = json::parse(testing::read_file(td / "aws-models" / (service + ".service-2.json")));
          operations[service] = model.at("operations").as_object();
        }
        EXPECT_TRUE(operations[service].contains(operation)) << st.sid << ": " << action << " is no operation";
      }
    }
  }
}

TEST_F(IamPolicyTest, MutatingCapacityActionsAreBoundToGhscaleTags) {
  std::set<std::string> granted;
  for (const auto& st : daemon_) {
    bool mutates_capacity = false;
    for (const auto& action : st.actions) {
      const auto [service, operation] = split_action(action);
      if ((service == "ec2" || service == "autoscaling") && !read_only(operation)) mutates_capacity = true;
      granted.insert(action);
    }
    if (!mutates_capacity) continue;
    bool touches_capacity = false;
    for (const auto& arn : st.resources) touches_capacity = touches_capacity || capacity_resource(arn);
    EXPECT_FALSE(std::find(st.resources.begin(), st.resources.end(), "*") != st.resources.end())
        << st.sid << ": a mutating action on every resource";
    if (touches_capacity) {
      EXPECT_TRUE(has_ghscale_tag_condition(st)) << st.sid << ": instances and groups without a ghscale: tag condition";
    }
  }
  // What the providers call is granted at all.
  for (const char* needed : {"ec2:CreateFleet", "ec2:RunInstances", "ec2:TerminateInstances", "ec2:CreateTags",
                             "ec2:DescribeInstances", "autoscaling:DescribeAutoScalingGroups",
                             "autoscaling:SetDesiredCapacity", "autoscaling:SetInstanceProtection",
                             "autoscaling:TerminateInstanceInAutoScalingGroup", "ssm:PutParameter",
                             "ssm:DeleteParameter"}) {
    EXPECT_TRUE(granted.contains(needed)) << needed;
  }
  // Blunt instruments ghscale never needs: it terminates the instance it chose.
  for (const char* never : {"autoscaling:UpdateAutoScalingGroup", "autoscaling:DeleteAutoScalingGroup",
                            "ec2:DeleteTags", "ec2:ModifyInstanceAttribute"}) {
    EXPECT_FALSE(granted.contains(never)) << never;
  }
}

// A ghscale:pool tag alone is not enough: every deployment's runners carry one.
TEST_F(IamPolicyTest, CapacityActionsReachOnlyThisDeployment) {
  int launch_template_statements = 0;
  for (const auto& st : daemon_) {
    bool mutates = false;
    for (const auto& action : st.actions) {
      const auto [service, operation] = split_action(action);
      mutates = mutates || ((service == "ec2" || service == "autoscaling") && !read_only(operation));
    }
    if (!mutates) continue;
    for (const auto& arn : st.resources) {
      const bool group = arn.find(":autoScalingGroup:") != std::string::npos;
      const bool existing = arn.find(":launch-template/") != std::string::npos ||
                            (arn.find(":instance/") != std::string::npos &&
                             std::find(st.actions.begin(), st.actions.end(), "ec2:TerminateInstances") != st.actions.end());
      const bool created = !existing && !group && capacity_resource(arn);
      if (group) {
        EXPECT_EQ(string_equals(st, "autoscaling:ResourceTag/ghscale:deployment"), kThisDeployment) << st.sid;
      } else if (existing) {
        EXPECT_EQ(string_equals(st, "aws:ResourceTag/ghscale:deployment"), kThisDeployment) << st.sid << ": " << arn;
      } else if (created) {
        EXPECT_EQ(string_equals(st, "aws:RequestTag/ghscale:deployment"), kThisDeployment) << st.sid << ": " << arn;
      }
      if (arn.find(":launch-template/") != std::string::npos) ++launch_template_statements;
    }
    // Launching from "any launch template" was the hole: they are named by tag now.
    if (std::find(st.resources.begin(), st.resources.end(), "arn:aws:ec2:*:*:launch-template/*") != st.resources.end()) {
      EXPECT_EQ(st.resources.size(), 1u) << st.sid << ": launch templates share a statement with other resources";
    }
    // RunInstances can launch without a template; this policy only with one.
    if (std::find(st.actions.begin(), st.actions.end(), "ec2:RunInstances") != st.actions.end() &&
        std::find(st.resources.begin(), st.resources.end(), "arn:aws:ec2:*:*:instance/*") != st.resources.end()) {
      const auto* null = st.condition.if_contains("Null");
      ASSERT_NE(null, nullptr) << st.sid;
      const auto* lt = null->as_object().if_contains("ec2:LaunchTemplate");
      ASSERT_NE(lt, nullptr) << st.sid << ": RunInstances without a launch template";
      EXPECT_EQ(lt->as_string(), "false") << st.sid;
    }
  }
  EXPECT_EQ(launch_template_statements, 1);
}

TEST_F(IamPolicyTest, SsmActionsStayUnderThePrefix) {
  for (const auto& st : daemon_) {
    bool ssm = false;
    for (const auto& action : st.actions) ssm = ssm || split_action(action).first == "ssm";
    if (!ssm) continue;
    for (const auto& action : st.actions) EXPECT_EQ(split_action(action).first, "ssm") << st.sid << ": " << action;
    for (const auto& arn : st.resources) {
      EXPECT_TRUE(arn == kPrefixParameter || arn == std::string(kPrefixParameter) + "/*") << st.sid << ": " << arn;
    }
  }
}

TEST_F(IamPolicyTest, InstanceRoleTouchesOnlyItsOwnParameter) {
  std::set<std::string> granted;
  for (const auto& st : instance_) {
    for (const auto& action : st.actions) {
      granted.insert(action);
      EXPECT_TRUE(action == "ssm:GetParameter" || action == "ssm:DeleteParameter") << st.sid << ": " << action;
    }
    // The instance's own id, filled in by IAM from the instance-profile session.
    for (const auto& arn : st.resources) {
      EXPECT_EQ(arn, std::string(kPrefixParameter) + "/runners/${ec2:InstanceID}") << st.sid;
    }
    // Only credentials delivered to an instance carry ec2:SourceInstanceARN.
    const auto keys = condition_keys(st);
    EXPECT_NE(std::find(keys.begin(), keys.end(), "ec2:SourceInstanceARN"), keys.end()) << st.sid;
  }
  EXPECT_EQ(granted, (std::set<std::string>{"ssm:GetParameter", "ssm:DeleteParameter"}));
}

TEST_F(IamPolicyTest, PassRoleIsConstrained) {
  for (const auto* policy : {&daemon_, &instance_}) {
    for (const auto& st : *policy) {
      if (std::find(st.actions.begin(), st.actions.end(), "iam:PassRole") == st.actions.end()) continue;
      EXPECT_EQ(st.actions.size(), 1u) << st.sid << ": PassRole shares its statement";
      for (const auto& arn : st.resources) {
        EXPECT_NE(arn, "*") << st.sid;
        EXPECT_NE(arn.find(":role/"), std::string::npos) << st.sid << ": " << arn;
        EXPECT_EQ(arn.find('*', arn.find(":role/")), std::string::npos) << st.sid << ": any role " << arn;
      }
      const auto* equals = st.condition.if_contains("StringEquals");
      ASSERT_NE(equals, nullptr) << st.sid;
      const auto* service = equals->as_object().if_contains("iam:PassedToService");
      ASSERT_NE(service, nullptr) << st.sid;
      EXPECT_EQ(strings(service), (std::vector<std::string>{"ec2.amazonaws.com"})) << st.sid;
    }
  }
}

}  // namespace
}  // namespace ghscale
