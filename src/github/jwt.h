// The GitHub App's JSON Web Token: RS256 over {"iat","exp","iss"}, signed with the App's
// private key (OpenSSL 3 EVP). GitHub accepts at most 10 minutes of validity; clocks
// drift, so iat is backdated 60 s. Thread-safe after construction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace ghscale::github {

inline constexpr Duration kJwtBackdate = std::chrono::seconds(60);
inline constexpr Duration kJwtLifetime = std::chrono::minutes(9);

class AppJwtSigner {
 public:
  // Parses the PEM private key (PKCS#1 or PKCS#8 RSA). kInvalid when it is not one; the
  // message never contains the key.
  static Result<AppJwtSigner> create(std::int64_t app_id, std::string_view private_key_pem);

  // A token valid from now-60s to now+9m.
  Result<std::string> sign(TimePoint now) const;
  std::int64_t app_id() const { return app_id_; }

 private:
  struct Key;
  AppJwtSigner(std::int64_t app_id, std::shared_ptr<const Key> key) : app_id_(app_id), key_(std::move(key)) {}
  std::int64_t app_id_;
  std::shared_ptr<const Key> key_;
};

// Unpadded base64url, as JWTs use.
std::string base64url_encode(std::string_view bytes);

}  // namespace ghscale::github
