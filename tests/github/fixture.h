// A fake GitHub on loopback and a RestClient pointed at it, on a ManualClock whose
// "sleep" advances virtual time, with every exchange held against the OpenAPI description.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>
#include <vector>

#include "github/openapi_validator.h"
#include "github/rest_client.h"
#include "sandbox/fake_github/fake_github.h"
#include "support/testdata.h"

namespace ghscale::testing {

struct RsaKeyPair {
  std::string private_pem;
  std::string public_pem;
};

inline RsaKeyPair make_rsa_key() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  RsaKeyPair pair;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  pair.private_pem.assign(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  n = BIO_get_mem_data(bio, &data);
  pair.public_pem.assign(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pair;
}

inline const RsaKeyPair& app_key() {
  static const RsaKeyPair key = make_rsa_key();
  return key;
}

inline constexpr const char* kPat = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
inline constexpr std::int64_t kAppId = 31337;

class GitHubFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    clock = std::make_shared<ManualClock>();
    fake_github::FakeGitHubOptions fo;
    fo.clock = clock;
    fake = std::make_shared<fake_github::FakeGitHub>(fo);
    fake->add_pat(kPat);
    fake->add_app(kAppId, "ghscale-test", app_key().public_pem);
    installation_id = fake->add_installation(kAppId, "acme");
    auto server = fake_github::FakeGitHubServer::start(fake);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(server).value();
    if (auto dir = testdata_dir()) {
      validator = std::make_shared<OpenApiValidator>((*dir / "github" / "github-rest-runners.openapi.json").string());
    }
  }

  void TearDown() override {
    if (wire) {
      for (const auto& v : wire->violations()) ADD_FAILURE() << "OpenAPI: " << v;
    }
  }

  github::RestClientOptions options() {
    github::RestClientOptions o;
    o.api_url = server_->api_url();
    o.clock = clock;
    o.jitter_seed = 7;
    o.sleep = [this](Duration d) {
      std::lock_guard lock(sleep_mu);
      sleeps.push_back(d);
      clock->advance(d);
    };
    return o;
  }

  std::shared_ptr<http::Client> transport(std::shared_ptr<http::Client> inner = nullptr) {
    if (!inner) inner = http::make_curl_client();
    if (!validator) return inner;
    wire = std::make_shared<ValidatingClient>(std::move(inner), validator, server_->api_url());
    return wire;
  }

  std::unique_ptr<github::RestClient> pat_client(github::RestClientOptions o, std::shared_ptr<http::Client> t = nullptr) {
    github::Credentials c;
    c.token = kPat;
    auto client = github::RestClient::create(std::move(o), c, t ? t : transport());
    EXPECT_TRUE(client.ok());
    return std::move(client).value();
  }
  std::unique_ptr<github::RestClient> pat_client() { return pat_client(options()); }

  std::unique_ptr<github::RestClient> app_client(std::int64_t configured_installation = 0) {
    github::Credentials c;
    c.kind = github::Credentials::Kind::kApp;
    c.app_id = kAppId;
    c.private_key_pem = app_key().private_pem;
    c.installation_id = configured_installation;
    c.discovery = github::Scope{github::Scope::Kind::kOrg, "acme"};
    auto client = github::RestClient::create(options(), c, transport());
    EXPECT_TRUE(client.ok()) << client.error().describe();
    return std::move(client).value();
  }

  std::shared_ptr<ManualClock> clock;
  std::shared_ptr<fake_github::FakeGitHub> fake;
  std::unique_ptr<fake_github::FakeGitHubServer> server_;
  std::shared_ptr<OpenApiValidator> validator;
  std::shared_ptr<ValidatingClient> wire;
  std::int64_t installation_id = 0;
  std::mutex sleep_mu;
  std::vector<Duration> sleeps;
  const github::Scope org{github::Scope::Kind::kOrg, "acme"};
  const github::Scope repo{github::Scope::Kind::kRepo, "acme/app"};
};

}  // namespace ghscale::testing
