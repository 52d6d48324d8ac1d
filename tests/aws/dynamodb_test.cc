// The DynamoDB client against dynalite (npm), a faithful local DynamoDB. Skips visibly
// when dynalite is not installed: npm install --prefix <source>/build/npm dynalite@3.
#include "aws/services/dynamodb.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "support/dynalite_process.h"

namespace ghscale::aws {
namespace {

namespace json = boost::json;

class DynamoDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dynalite_ = ghscale::testing::start_dynalite();
    if (!dynalite_->unavailable.empty()) GTEST_SKIP() << dynalite_->unavailable;
    AwsClientOptions options;
    options.http = http::make_curl_client();
    options.credentials = make_static_provider({"AKIDLOCAL", "local-secret", ""});
    options.sleeper = [](Duration) {};
    client_ = std::make_shared<AwsClient>(Service::kDynamoDb, "us-east-1", dynalite_->endpoint, options);
    ddb_ = std::make_unique<DynamoDbClient>(client_);
    ASSERT_TRUE(ddb_->create_table({.name = "ghscale"}).ok());
  }

  static json::object key(const std::string& pk, const std::string& sk) {
    return json::object{{"PK", json::object{{"S", pk}}}, {"SK", json::object{{"S", sk}}}};
  }

  std::unique_ptr<ghscale::testing::DynaliteProcess> dynalite_;
  std::shared_ptr<AwsClient> client_;
  std::unique_ptr<DynamoDbClient> ddb_;
};

TEST_F(DynamoDbTest, TableBootstrap) {
  auto table = ddb_->describe_table("ghscale");
  ASSERT_TRUE(table.ok()) << table.error().message;
  EXPECT_EQ(table->status, "ACTIVE");
  EXPECT_EQ(table->key_names, (std::vector<std::string>{"PK", "SK"}));
  auto again = ddb_->create_table({.name = "ghscale"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict) << again.error().message;
  auto missing = ddb_->describe_table("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST_F(DynamoDbTest, ConditionalWritesReadsAndDeletes) {
  // The original system's cooldown setting item.
  json::object item = key("settings", "cooldown");
  item["value"] = json::object{{"N", "60000"}};
  const Expression absent{"attribute_not_exists(PK)", {}, {}};
  ASSERT_TRUE(ddb_->put_item("ghscale", item, &absent).ok());
  auto dup = ddb_->put_item("ghscale", item, &absent);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
  EXPECT_NE(dup.error().message.find("ConditionalCheckFailedException"), std::string::npos);

  auto got = ddb_->get_item("ghscale", key("settings", "cooldown"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((**got).at("value").at("N").as_string(), "60000");
  auto none = ddb_->get_item("ghscale", key("settings", "none"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // A lease-style conditional update.
  const Expression take{"SET #o = :me, #v = if_not_exists(#v, :zero) + :one",
                        {{"#o", "owner"}, {"#v", "version"}},
                        {{":me", json::object{{"S", "node-a"}}},
                         {":zero", json::object{{"N", "0"}}},
                         {":one", json::object{{"N", "1"}}}}};
  auto updated = ddb_->update_item("ghscale", key("lease", "scaler"), take, "attribute_not_exists(#o) OR #o = :me");
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->at("version").at("N").as_string(), "1");
  Expression other = take;
  other.values[":me"] = json::object{{"S", "node-b"}};
  auto stolen = ddb_->update_item("ghscale", key("lease", "scaler"), other, "attribute_not_exists(#o) OR #o = :me");
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.error().kind, ErrorKind::kConflict);

  const Expression owned{"#o = :me", {{"#o", "owner"}}, {{":me", json::object{{"S", "node-b"}}}}};
  auto refused = ddb_->delete_item("ghscale", key("lease", "scaler"), &owned);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kConflict);
  ASSERT_TRUE(ddb_->delete_item("ghscale", key("lease", "scaler")).ok());
  EXPECT_FALSE(ddb_->get_item("ghscale", key("lease", "scaler"))->has_value());
}

TEST_F(DynamoDbTest, QueryPagesThroughAPartition) {
  for (int i = 0; i < 7; ++i) {
    json::object item = key("activity", "2024-05-0" + std::to_string(i + 1));
    item["action"] = json::object{{"S", "scale-out"}};
    ASSERT_TRUE(ddb_->put_item("ghscale", item).ok());
  }
  ASSERT_TRUE(ddb_->put_item("ghscale", key("other", "x")).ok());
  DynamoQuery q;
  q.table = "ghscale";
  q.key_condition = {"PK = :pk AND begins_with(SK, :day)",
                     {},
                     {{":pk", json::object{{"S", "activity"}}}, {":day", json::object{{"S", "2024-05"}}}}};
  q.limit = 3;
  q.scan_forward = false;
  auto items = ddb_->query(q);
  ASSERT_TRUE(items.ok()) << items.error().message;
  ASSERT_EQ(items->size(), 7u);
  EXPECT_EQ((*items)[0].at("SK").at("S").as_string(), "2024-05-07") << "newest first";
}

}  // namespace
}  // namespace ghscale::aws
