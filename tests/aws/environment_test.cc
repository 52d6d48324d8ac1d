// Shared config files, region and endpoint resolution, and the embedded partition rules
// checked against botocore's partitions.json.
#include "aws/endpoints.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "aws/environment.h"
#include "support/testdata.h"

namespace ghscale::aws {
namespace {

TEST(ParseIni, SectionsCommentsAndSubKeys) {
  auto s = parse_ini(
      "# top\n[default]\nregion = us-west-2 ; inline\n\n[profile  dev]\nRole_Arn=arn:x\n"
      "s3 =\n  max_concurrent_requests = 20\nkey = a#b\n[broken\nx=1\n");
  EXPECT_EQ(s["default"]["region"], "us-west-2");
  EXPECT_EQ(s["profile dev"]["role_arn"], "arn:x");
  EXPECT_EQ(s["profile dev"]["s3.max_concurrent_requests"], "20");
  EXPECT_EQ(s["profile dev"]["key"], "a#b");
  EXPECT_EQ(s.count("broken"), 0u);
}

TEST(Region, PrecedenceFollowsTheSdks) {
  auto env = Environment::from_map({{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "us-west-2"}});
  EXPECT_EQ(resolve_region(env, "ap-south-1")->region, "ap-south-1");
  EXPECT_EQ(resolve_region(env)->region, "eu-west-1");
  EXPECT_EQ(resolve_region(env)->source, "AWS_REGION");
  EXPECT_EQ(resolve_region(Environment::from_map({{"AWS_DEFAULT_REGION", "us-west-2"}}))->region, "us-west-2");
  auto imds = [] { return std::optional<std::string>("ca-central-1"); };
  auto from_imds = resolve_region(Environment::from_map({{"HOME", "/nonexistent"}}), {}, imds);
  ASSERT_TRUE(from_imds.ok());
  EXPECT_EQ(from_imds->source, "instance metadata");
  auto none = resolve_region(Environment::from_map({{"HOME", "/nonexistent"}}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kInvalid);
}

TEST(Endpoints, PartitionsAndOverrides) {
  const auto none = Environment::from_map({});
  EXPECT_EQ(resolve_endpoint(Service::kEc2, "us-east-1", none)->url, "https://ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(Service::kEventBridge, "eu-west-1", none)->url, "https://events.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(Service::kSsm, "cn-north-1", none)->url, "https://ssm.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(resolve_endpoint(Service::kSts, "us-gov-west-1", none)->url, "https://sts.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(Service::kSts, "us-gov-west-1", none)->source, "partition aws-us-gov");

  const auto env = Environment::from_map(
      {{"AWS_ENDPOINT_URL", "http://localhost:4566/"}, {"AWS_ENDPOINT_URL_AUTO_SCALING", "http://127.0.0.1:9000"}});
  EXPECT_EQ(resolve_endpoint(Service::kAutoScaling, "us-east-1", env)->url, "http://127.0.0.1:9000");
  EXPECT_EQ(resolve_endpoint(Service::kAutoScaling, "us-east-1", env)->source, "AWS_ENDPOINT_URL_AUTO_SCALING");
  EXPECT_EQ(resolve_endpoint(Service::kDynamoDb, "us-east-1", env)->url, "http://localhost:4566");
  EXPECT_EQ(resolve_endpoint(Service::kDynamoDb, "us-east-1", env, "https://ddb.internal")->source, "config");
  const auto ignored = Environment::from_map(
      {{"AWS_ENDPOINT_URL", "http://localhost:4566"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
  EXPECT_EQ(resolve_endpoint(Service::kEc2, "us-east-1", ignored)->source, "partition aws");
  auto bad = resolve_endpoint(Service::kEc2, "us-east-1", Environment::from_map({{"AWS_ENDPOINT_URL_EC2", "ftp://x"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("AWS_ENDPOINT_URL_EC2"), std::string::npos);
  EXPECT_EQ(url_authority("http://user@127.0.0.1:8080/path?q"), "127.0.0.1:8080");
}

TEST(Endpoints, EmbeddedPartitionsMatchPartitionsJson) {
  GHSCALE_REQUIRE_TESTDATA(root);
  const auto doc = boost::json::parse(ghscale::testing::read_file(root / "aws-models" / "partitions.json"));
  int checked = 0;
  for (const auto& p : doc.at("partitions").as_array()) {
    const std::string id(p.at("id").as_string());
    for (const Partition& ours : partitions()) {
      if (ours.id != id) continue;
      ++checked;
      EXPECT_EQ(ours.dns_suffix, p.at("outputs").at("dnsSuffix").as_string()) << id;
      EXPECT_EQ(ours.default_region, p.at("outputs").at("implicitGlobalRegion").as_string()) << id;
      const std::string regex(p.at("regionRegex").as_string());
      // "^(us|eu|...)\-\w+\-\d+$", or "^us\-gov\-\w+\-\d+$" for a single prefix.
      std::string prefixes(ours.region_prefixes);
      if (prefixes.find('|') != std::string::npos) {
        prefixes = "(" + prefixes + ")";
      } else {
        for (std::size_t at = prefixes.find('-'); at != std::string::npos; at = prefixes.find('-', at + 2)) {
          prefixes.insert(at, "\\");
        }
      }
      EXPECT_EQ(regex, "^" + prefixes + "\\-\\w+\\-\\d+$") << id;
      // Every listed region of the partition (not the "-global" pseudo regions) maps back to it.
      for (const auto& [region, info] : p.at("regions").as_object()) {
        if (std::string_view(region).ends_with("-global")) continue;
        EXPECT_EQ(partition_for(region).id, id) << region;
      }
    }
  }
  EXPECT_EQ(checked, 3);
  EXPECT_EQ(partition_for("mars-east-1").id, "aws") << "the SDKs' fallback";
}

}  // namespace
}  // namespace ghscale::aws
