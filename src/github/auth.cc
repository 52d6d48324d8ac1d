#include "github/auth.h"

#include "core/log.h"

namespace ghscale::github {

Result<Credentials> credentials_from(const config::GitHubAuth& auth, std::string secret) {
  Credentials c;
  if (auth.kind == config::GitHubAuth::Kind::kPat) {
    if (secret.empty()) return make_error(ErrorKind::kInvalid, "github: the personal access token is empty");
    c.kind = Credentials::Kind::kPat;
    c.token = std::move(secret);
    log::add_secret(c.token);
    return c;
  }
  if (auth.app_id <= 0) return make_error(ErrorKind::kInvalid, "github app: app_id must be set");
  if (secret.empty()) return make_error(ErrorKind::kInvalid, "github app: the private key is empty");
  c.kind = Credentials::Kind::kApp;
  c.app_id = auth.app_id;
  c.private_key_pem = std::move(secret);
  log::add_secret(c.private_key_pem);
  c.installation_id = auth.installation_id;
  if (!auth.org.empty()) {
    c.discovery = Scope{Scope::Kind::kOrg, auth.org};
  } else if (!auth.repo.empty()) {
    c.discovery = Scope{Scope::Kind::kRepo, auth.repo};
  }
  if (c.installation_id == 0 && !c.discovery) {
    return make_error(ErrorKind::kInvalid, "github app: set installation_id, or org or repo to discover it");
  }
  return c;
}

Result<Credentials> resolve_credentials(const config::GitHubAuth& auth) {
  const bool pat = auth.kind == config::GitHubAuth::Kind::kPat;
  const auto& ref = pat ? auth.token : auth.private_key;
  if (!ref) return make_error(ErrorKind::kInvalid, pat ? "github: auth.token is not set" : "github app: private_key is not set");
  auto secret = config::resolve_local_secret(*ref);
  if (!secret) return std::move(secret).error();
  return credentials_from(auth, std::move(secret).value());
}

std::optional<std::string> InstallationTokenCache::get(TimePoint now) const {
  std::lock_guard lock(mu_);
  if (token_.empty() || now + kRenewBefore >= expires_at_) return std::nullopt;
  return token_;
}

void InstallationTokenCache::put(std::string token, TimePoint expires_at) {
  std::lock_guard lock(mu_);
  token_ = std::move(token);
  expires_at_ = expires_at;
}

void InstallationTokenCache::clear() {
  std::lock_guard lock(mu_);
  token_.clear();
}

}  // namespace ghscale::github
