#include "config/secret_ref.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace ghscale::config {
namespace {

TEST(SecretRef, ParsesTheThreeKinds) {
  EXPECT_EQ(parse_secret_ref("env:GITHUB_TOKEN")->kind, SecretRef::Kind::kEnv);
  EXPECT_EQ(parse_secret_ref("file:/run/secrets/key")->target, "/run/secrets/key");
  EXPECT_EQ(parse_secret_ref("ssm:/ghscale/webhook")->kind, SecretRef::Kind::kSsm);
}

TEST(SecretRef, LiteralIsRejectedWithoutEchoingIt) {
  auto r = parse_secret_ref("ghp_supersecretvalue123");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(r.error().message.find("supersecret"), std::string::npos);
}

TEST(SecretRef, MalformedReferences) {
  EXPECT_FALSE(parse_secret_ref("env:").ok());
  EXPECT_FALSE(parse_secret_ref("env:1BAD").ok());
  EXPECT_FALSE(parse_secret_ref("file:").ok());
  EXPECT_FALSE(parse_secret_ref("ssm:relative").ok());
}

TEST(SecretRef, ResolvesEnvAndFile) {
  ::setenv("GHSCALE_TEST_SECRET_REF", "value-from-env", 1);
  EXPECT_EQ(*resolve_local_secret(*parse_secret_ref("env:GHSCALE_TEST_SECRET_REF")), "value-from-env");
  ::unsetenv("GHSCALE_TEST_SECRET_REF");
  auto missing = resolve_local_secret(*parse_secret_ref("env:GHSCALE_TEST_SECRET_REF"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "secret env:GHSCALE_TEST_SECRET_REF: environment variable is not set");

  auto path = std::filesystem::temp_directory_path() / ("ghscale-secret-" + std::to_string(::getpid()));
  std::ofstream(path) << "from-file\n";
  EXPECT_EQ(*resolve_local_secret(SecretRef{SecretRef::Kind::kFile, path.string()}), "from-file");
  std::filesystem::remove(path);
  EXPECT_FALSE(resolve_local_secret(SecretRef{SecretRef::Kind::kFile, path.string()}).ok());
  EXPECT_FALSE(resolve_local_secret(*parse_secret_ref("ssm:/x")).ok());
}

}  // namespace
}  // namespace ghscale::config
