// `ghscale github whoami|runners|groups` as a user runs them, against the fake GitHub on
// loopback, with a PAT and with a GitHub App.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>

#include "sandbox/fake_github/fake_github.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using testing::run;

std::pair<std::string, std::string> rsa_pem_pair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  auto pem = [&](bool priv) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (priv) {
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio, key);
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
  };
  auto pair = std::make_pair(pem(true), pem(false));
  EVP_PKEY_free(key);
  return pair;
}

class GitHubCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-ghcli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    fake_ = std::make_shared<fake_github::FakeGitHub>();
    fake_->add_pat("ghp_integrationTestToken0123456789abcdef");
    fake_->add_runner_group("orgs/acme", "Default", true);
    fake_->add_runner({.scope = "orgs/acme", .name = "runner-a", .labels = {"self-hosted", "linux", "x64"}});
    auto server = fake_github::FakeGitHubServer::start(fake_);
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_config(const std::string& auth) {
    std::string path = (dir_ / "ghscale.yaml").string();
    std::ofstream(path) << "github: {api_url: '" << server_->api_url() << "', auth: " << auth << "}\n"
                        << "webhook: {secrets: [env:UNUSED_SECRET]}\n"
                        << "pools:\n  - {name: linux, labels: [linux], scope: {org: acme}, provider: {type: sim}}\n";
    return path;
  }

  fs::path dir_;
  std::shared_ptr<fake_github::FakeGitHub> fake_;
  std::unique_ptr<fake_github::FakeGitHubServer> server_;
};

TEST_F(GitHubCliTest, WhoamiRunnersAndGroupsWithAPat) {
  std::string config = write_config("{pat: env:GHSCALE_TEST_GITHUB_TOKEN}");
  std::vector<std::string> env = {"GHSCALE_TEST_GITHUB_TOKEN=ghp_integrationTestToken0123456789abcdef"};
  auto bin = testing::ghscale_binary().string();
  auto who = run({bin, "github", "whoami", "--config", config}, std::chrono::seconds(30), env);
  EXPECT_EQ(who.exit_code, 0) << who.err;
  EXPECT_NE(who.out.find("core"), std::string::npos) << who.out;
  EXPECT_EQ(who.out.find("ghp_integrationTestToken"), std::string::npos);
  auto runners = run({bin, "github", "runners", "--pool", "linux", "--json", "--config", config},
                     std::chrono::seconds(30), env);
  EXPECT_EQ(runners.exit_code, 0) << runners.err;
  EXPECT_NE(runners.out.find("runner-a"), std::string::npos) << runners.out;
  auto groups = run({bin, "github", "groups", "--config", config}, std::chrono::seconds(30), env);
  EXPECT_EQ(groups.exit_code, 0) << groups.err;
  EXPECT_NE(groups.out.find("Default"), std::string::npos) << groups.out;
  auto bad_pool = run({bin, "github", "runners", "--pool", "nope", "--config", config}, std::chrono::seconds(30), env);
  EXPECT_EQ(bad_pool.exit_code, 2);
  auto wrong = run({bin, "github", "whoami", "--config", config}, std::chrono::seconds(30),
                   {"GHSCALE_TEST_GITHUB_TOKEN=ghp_wrongTokenWrongToken0123456789abc"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.err.find("ghp_wrongToken"), std::string::npos) << wrong.err;
}

TEST_F(GitHubCliTest, WhoamiWithAGitHubApp) {
  auto [private_pem, public_pem] = rsa_pem_pair();
  fake_->add_app(4242, "ghscale-test", public_pem);
  fake_->add_installation(4242, "acme");
  std::string key_path = (dir_ / "app.pem").string();
  std::ofstream(key_path) << private_pem;
  std::string config = write_config("{app: {id: 4242, private_key: 'file:" + key_path + "', org: acme}}");
  auto who = run({testing::ghscale_binary().string(), "github", "whoami", "--json", "--config", config});
  EXPECT_EQ(who.exit_code, 0) << who.err;
  EXPECT_NE(who.out.find("ghscale-test"), std::string::npos) << who.out;
  EXPECT_EQ(who.out.find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace ghscale
