// A success answer the AWS client cannot read is permanent: the same request would get
// the same body again, so it is not retried (it used to be, four times, as transient).
// Booleans written "True"/"False", as some EC2 answers have been seen to, still read.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "aws/services/ec2.h"
#include "provider/aws/fleet_provider.h"
#include "provider/aws_fixture.h"

namespace ghscale::provider::testing {
namespace {

using UnreadableAnswerTest = AwsProviderTest;

constexpr const char* kVersionsHead =
    "<DescribeLaunchTemplateVersionsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>r-1</requestId><launchTemplateVersionSet><item>"
    "<launchTemplateId>lt-0abc</launchTemplateId><launchTemplateName>runner-template</launchTemplateName>";
constexpr const char* kVersionsTail = "</item></launchTemplateVersionSet></DescribeLaunchTemplateVersionsResponse>";

TEST_F(UnreadableAnswerTest, CapitalisedBooleansRead) {
  fake_->inject({.kind = fakes::Fault::Kind::kBadBody,
                 .operation = "DescribeLaunchTemplateVersions",
                 .body = std::string(kVersionsHead) +
                         "<versionNumber>3</versionNumber><defaultVersion>True</defaultVersion>" + kVersionsTail});
  auto v = client(aws::Service::kEc2)
               ->call("DescribeLaunchTemplateVersions",
                      boost::json::object{{"LaunchTemplateName", "runner-template"},
                                          {"Versions", boost::json::array{"$Default"}}});
  ASSERT_TRUE(v.ok()) << v.error().describe();
  const auto& version = v->at("LaunchTemplateVersions").at(0);
  EXPECT_EQ(version.at("VersionNumber"), 3);
  EXPECT_EQ(version.at("DefaultVersion"), true);
}

TEST_F(UnreadableAnswerTest, AValueOfTheWrongShapeIsPermanentAndAskedOnce) {
  fake_->inject({.kind = fakes::Fault::Kind::kBadBody,
                 .operation = "DescribeLaunchTemplateVersions",
                 .times = -1,
                 .body = std::string(kVersionsHead) +
                         "<versionNumber>three</versionNumber><defaultVersion>yes</defaultVersion>" + kVersionsTail});
  aws::Ec2Client ec2(client(aws::Service::kEc2));
  auto v = ec2.describe_launch_template_version({"runner-template", "$Default"});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().kind, ErrorKind::kPermanent) << v.error().describe();
  EXPECT_EQ(fake_->request_count("DescribeLaunchTemplateVersions"), 1);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(UnreadableAnswerTest, MalformedXmlAndJsonOnA200ArePermanent) {
  fake_->inject({.kind = fakes::Fault::Kind::kBadBody,
                 .operation = "DescribeInstances",
                 .times = -1,
                 .body = "<DescribeInstancesResponse><reservationSet><item><ownerId>1</own"});
  FleetProvider p(fleet_options());
  auto listed = p.describe("fleet");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().kind, ErrorKind::kPermanent) << listed.error().describe();
  EXPECT_NE(listed.error().message.find("unreadable XML"), std::string::npos) << listed.error().message;
  EXPECT_EQ(fake_->request_count("DescribeInstances"), 1);

  fake_->inject({.kind = fakes::Fault::Kind::kBadBody, .operation = "GetParameter", .times = -1, .body = "{\"Parameter\": "});
  auto ssm = client(aws::Service::kSsm);
  auto got = ssm->call("GetParameter", boost::json::object{{"Name", "/ghscale/x"}});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kPermanent) << got.error().describe();
  EXPECT_EQ(fake_->request_count("GetParameter"), 1);
  EXPECT_TRUE(sleeps_.empty()) << "nothing was retried";
}

}  // namespace
}  // namespace ghscale::provider::testing
