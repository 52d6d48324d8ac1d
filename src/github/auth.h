// Credentials for the REST client: a personal access token, or a GitHub App (id, private
// key, installation). Resolving reads the secrets once and registers them for log
// redaction; everything downstream handles them only as opaque strings.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "github/types.h"

namespace ghscale::github {

struct Credentials {
  enum class Kind { kPat, kApp };
  Kind kind = Kind::kPat;
  std::string token;  // pat
  std::int64_t app_id = 0;
  std::string private_key_pem;
  std::int64_t installation_id = 0;  // 0 = discover from `discovery`
  std::optional<Scope> discovery;    // org or repo whose installation to use
};

// From the config: env: and file: secret references are read here; ssm: references are
// kInvalid (the AWS layer resolves those and calls the overload below).
Result<Credentials> resolve_credentials(const config::GitHubAuth& auth);
// Same, with the secret (token or PEM) already resolved by the caller.
Result<Credentials> credentials_from(const config::GitHubAuth& auth, std::string secret);

// The installation access token in use, renewed `kRenewBefore` ahead of its expiry so a
// call never goes out with a token about to lapse. Thread-safe.
class InstallationTokenCache {
 public:
  static constexpr Duration kRenewBefore = std::chrono::minutes(5);

  // The cached token when it is still good at `now`, else nullopt.
  std::optional<std::string> get(TimePoint now) const;
  void put(std::string token, TimePoint expires_at);
  void clear();  // after a 401: the token was revoked early

 private:
  mutable std::mutex mu_;
  std::string token_;  // guarded by mu_
  TimePoint expires_at_{};
};

}  // namespace ghscale::github
