// `ghscale store init` (app/store_init_command.cc) against dynalite: creates the table
// from the configuration, is idempotent, refuses a wrongly keyed table and a SQLite store.
#include "app/store_init_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "dynalite.h"
#include "store_test_util.h"

namespace ghscale::store {
namespace {

using testing::Dynalite;

class StoreInitCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string& why = Dynalite::get().unavailable(); !why.empty()) GTEST_SKIP() << why;
    // The command resolves credentials through the standard chain; the environment
    // comes first. dynalite accepts any key.
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDLOCAL", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "local-secret", 1);
    ::setenv("GHSCALE_TEST_WEBHOOK_SECRET", "not-a-real-secret", 1);
    table_ = Dynalite::table_for(dir_.path().string());
  }

  std::string write_config(const std::string& store_yaml) {
    const std::string path = dir_.file("ghscale.yaml");
    std::ofstream(path) << "webhook:\n  secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]\n" << store_yaml;
    return path;
  }

  std::string dynamodb_config() {
    return write_config("store:\n  dynamodb:\n    table: " + table_ + "\n    region: us-east-1\n    endpoint_url: " +
                        Dynalite::get().endpoint() + "\n");
  }

  testing::TempDir dir_;
  std::string table_;
};

TEST_F(StoreInitCommandTest, CreatesTheTableOnceAndIsIdempotent) {
  const std::string config = dynamodb_config();
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(app::run_store_init(config), 0);
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("created DynamoDB table " + table_), std::string::npos);
  auto client = Dynalite::get().client();
  auto table = client->describe_table(table_);
  ASSERT_TRUE(table.ok()) << table.error().describe();
  EXPECT_EQ(table->key_names, (std::vector<std::string>{"PK", "SK"}));
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(app::run_store_init(config), 0);
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("already exists"), std::string::npos);
}

TEST_F(StoreInitCommandTest, RefusesATableWithOtherKeys) {
  ASSERT_TRUE(Dynalite::get().client()->create_table({.name = table_, .partition_key = "id", .sort_key = ""}).ok());
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(app::run_store_init(dynamodb_config()), 1);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("'" + table_ + "'"), std::string::npos) << err;
  EXPECT_NE(err.find("PK"), std::string::npos) << err;
}

TEST_F(StoreInitCommandTest, SqliteStoreNeedsNoInit) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(app::run_store_init(write_config("store:\n  sqlite:\n    path: data/ghscale.db\n")), 2);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("store.sqlite"), std::string::npos);
}

}  // namespace
}  // namespace ghscale::store
