// The DynamoDB client against dynalite (npm), a faithful local DynamoDB. Skips visibly
// when dynalite is not installed: npm install --prefix <source>/build/npm dynalite@3.
#include "aws/services/dynamodb.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale::aws {
namespace {

namespace json = boost::json;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepting(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class DynamoDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* prefix_env = std::getenv("GHSCALE_NPM_PREFIX");
    const std::filesystem::path prefix = prefix_env != nullptr && *prefix_env != '\0'
                                             ? std::filesystem::path(prefix_env)
                                             : ghscale::testing::source_dir() / "build" / "npm";
    const auto cli = prefix / "node_modules" / "dynalite" / "cli.js";
    if (!std::filesystem::exists(cli)) {
      GTEST_SKIP() << "dynalite not installed at " << cli.string() << " (npm install --prefix " << prefix.string()
                   << " dynalite@3); skipping";
    }
    const char* node = std::filesystem::exists("/usr/bin/node") ? "/usr/bin/node" : "/usr/local/bin/node";
    for (int attempt = 0; attempt < 3 && !dynalite_; ++attempt) {
      port_ = free_port();
      auto process = std::make_unique<ghscale::testing::Subprocess>(
          std::vector<std::string>{node, cli.string(), "--port", std::to_string(port_), "--host", "127.0.0.1",
                                   "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"});
      for (int i = 0; i < 100 && !accepting(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (accepting(port_)) dynalite_ = std::move(process);
    }
    ASSERT_TRUE(dynalite_) << "dynalite did not start";
    AwsClientOptions options;
    options.http = http::make_curl_client();
    options.credentials = make_static_provider({"AKIDLOCAL", "local-secret", ""});
    options.sleeper = [](Duration) {};
    client_ = std::make_shared<AwsClient>(Service::kDynamoDb, "us-east-1", "http://127.0.0.1:" + std::to_string(port_),
                                          options);
    ddb_ = std::make_unique<DynamoDbClient>(client_);
    ASSERT_TRUE(ddb_->create_table({.name = "ghscale"}).ok());
  }
  void TearDown() override {
    if (dynalite_) {
      dynalite_->signal(SIGTERM);
      dynalite_->wait(std::chrono::seconds(5));
    }
  }

  static json::object key(const std::string& pk, const std::string& sk) {
    return json::object{{"PK", json::object{{"S", pk}}}, {"SK", json::object{{"S", sk}}}};
  }

  std::uint16_t port_ = 0;
  std::unique_ptr<ghscale::testing::Subprocess> dynalite_;
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
