#include "core/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ghscale {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Redact, RegisteredSecretsNeverAppear) {
  log::add_secret("hunter2-webhook-secret");
  EXPECT_EQ(log::redact("secret is hunter2-webhook-secret!"), "secret is [REDACTED]!");
}

TEST(Redact, WellKnownTokenShapes) {
  EXPECT_EQ(log::redact("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok"), "token [REDACTED] ok");
  EXPECT_EQ(log::redact("pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"), "pat [REDACTED]");
  EXPECT_EQ(log::redact("Authorization: Bearer eyJhbGciOi.payload.sig"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(log::redact("ghs_short"), "ghs_short");  // too short to be a token
  std::string pem = "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY----- end";
  EXPECT_EQ(log::redact(pem), "key: [REDACTED] end");
  EXPECT_EQ(log::redact("-----BEGIN CERTIFICATE-----"), "-----BEGIN CERTIFICATE-----");
}

TEST(Log, JsonLinesWithRedactedFields) {
  auto path = (std::filesystem::temp_directory_path() / ("ghscale-log-test-" + std::to_string(::getpid()))).string();
  log::init(log::Format::kJson, log::Level::kInfo, path);
  log::add_secret("s3cr3t-value");
  log::debug("hidden");
  log::info("hello \"world\"", {{"pool", "linux"}, {"count", 3}, {"token", "s3cr3t-value"}, {"ok", true}});
  std::string out = slurp(path);
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_NE(out.find(R"("level":"info","msg":"hello \"world\"","pool":"linux","count":3,"token":"[REDACTED]","ok":true})"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("s3cr3t-value"), std::string::npos);
  log::init(log::Format::kText, log::Level::kDebug, path + ".txt");
  log::debug("plain", {{"k", "v"}});
  std::string text = slurp(path + ".txt");
  EXPECT_NE(text.find(" debug plain k=v"), std::string::npos) << text;
  log::init(log::Format::kJson, log::Level::kInfo);
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".txt");
}

}  // namespace
}  // namespace ghscale
