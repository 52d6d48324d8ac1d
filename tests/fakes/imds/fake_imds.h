// A fake EC2 instance metadata service on 127.0.0.1 for tests of what runs on an instance
// (deploy/runner/bootstrap.sh, the AWS CLI's instance-role credential provider). IMDSv2
// only, as a launch template with HttpTokens=required: a session token from
// PUT /latest/api/token, then GETs carrying it. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/error.h"

namespace ghscale::fakes {

struct FakeImdsOptions {
  std::string instance_id = "i-0123456789abcdef0";
  std::string region = "us-east-1";
  std::string account = "123456789012";
  // The instance profile's role and the temporary credentials IMDS hands out for it.
  std::string role_name = "ghscale-runner";
  std::string access_key_id = "ASIAFAKEIMDSROLE";
  std::string secret_access_key = "imds/fake/role/secret";
  std::string session_token = "fake-imds-session-token";
  std::uint16_t port = 0;
};

class FakeImds {
 public:
  static Result<std::unique_ptr<FakeImds>> start(FakeImdsOptions options);
  ~FakeImds();
  FakeImds(const FakeImds&) = delete;
  FakeImds& operator=(const FakeImds&) = delete;

  std::uint16_t port() const;
  std::string endpoint() const;  // "http://127.0.0.1:PORT"
  void shutdown();

  // The spot interruption notice: `action` "terminate", "stop" or "hibernate" makes
  // /latest/meta-data/spot/instance-action answer 200 with {"action":..,"time":..};
  // an empty action takes the notice back (404, as on an instance without one).
  void set_spot_action(const std::string& action);

  // Observations
  int token_requests() const;        // PUT /latest/api/token answered with a token
  int credential_requests() const;   // GETs of the role's credentials
  int rejected_requests() const;     // refused: no or unknown token, bad TTL, forwarded
  int requests(const std::string& path) const;  // answered GETs of that path

  struct Impl;

 private:
  explicit FakeImds(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ghscale::fakes
