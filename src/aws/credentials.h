// Where AWS credentials come from: a provider per source, a cache that refreshes before
// expiry, and the default chain in the SDKs' order (environment, web identity, shared
// profile — static keys, role_arn + source_profile, credential_process — container
// credentials, EC2 instance metadata IMDSv2). Every outside input (environment, files,
// HTTP endpoints, child processes, clock) is injected through CredentialContext.
// Providers are thread-safe; the cache serialises refreshes.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/environment.h"
#include "aws/sigv4.h"
#include "core/clock.h"
#include "core/error.h"
#include "http/client.h"

namespace ghscale::aws {

struct ResolvedCredentials {
  Credentials credentials;
  std::optional<TimePoint> expiration;  // none for long-term keys
  std::string source;                   // "environment", "profile dev (assume-role)", "imds", ... never a secret
};

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // kUnauthorized when this source is not configured or cannot supply credentials; the
  // message says why without repeating a secret.
  virtual Result<ResolvedCredentials> resolve() = 0;
  virtual std::string name() const = 0;
};

// Runs a credential_process command line; returns its stdout. Errors on non-zero exit
// or timeout.
using ProcessRunner = std::function<Result<std::string>(const std::string& command_line, Duration timeout)>;
Result<std::string> run_process(const std::string& command_line, Duration timeout);

struct CredentialContext {
  Environment env = Environment::process();
  std::shared_ptr<http::Client> http;  // for STS, container and IMDS; required by those sources
  std::shared_ptr<Clock> clock = system_clock();
  ProcessRunner process_runner = run_process;
  // Base URLs of the link-local services, replaceable for tests. IMDS also honours
  // AWS_EC2_METADATA_SERVICE_ENDPOINT.
  std::string imds_endpoint = "http://169.254.169.254";
  std::string container_endpoint = "http://169.254.170.2";
  Duration metadata_timeout = std::chrono::seconds(1);
  // Region for STS when neither env nor profile says (the SDKs' regional default).
  std::string default_sts_region = "us-east-1";
  // How STS retries wait; null = really sleep.
  std::function<void(Duration)> sleeper;
};

// Each source on its own.
std::shared_ptr<CredentialProvider> make_static_provider(Credentials credentials, std::string source = "static");
std::shared_ptr<CredentialProvider> make_environment_provider(const CredentialContext& ctx);
std::shared_ptr<CredentialProvider> make_web_identity_provider(const CredentialContext& ctx);
std::shared_ptr<CredentialProvider> make_profile_provider(const CredentialContext& ctx);
std::shared_ptr<CredentialProvider> make_container_provider(const CredentialContext& ctx);
std::shared_ptr<CredentialProvider> make_imds_provider(const CredentialContext& ctx);

// Tries each in order; the first success wins. The error lists every source tried and why.
std::shared_ptr<CredentialProvider> make_chain_provider(std::vector<std::shared_ptr<CredentialProvider>> providers);

// Holds what `inner` returned until `refresh_before` its expiration, then asks again. A
// failed refresh keeps serving unexpired credentials (and retries on the next call).
class CachingCredentialProvider final : public CredentialProvider {
 public:
  CachingCredentialProvider(std::shared_ptr<CredentialProvider> inner, std::shared_ptr<Clock> clock,
                            Duration refresh_before = std::chrono::minutes(5));
  Result<ResolvedCredentials> resolve() override;
  std::string name() const override { return inner_->name(); }
  // Drops the cache (after the service answered ExpiredToken).
  void invalidate();

 private:
  const std::shared_ptr<CredentialProvider> inner_;
  const std::shared_ptr<Clock> clock_;
  const Duration refresh_before_;
  std::mutex mu_;
  std::optional<ResolvedCredentials> cached_;  // guarded by mu_
};

// The default chain, cached.
std::shared_ptr<CachingCredentialProvider> make_default_credential_chain(const CredentialContext& ctx);

// The region IMDS reports (placement/region), for region resolution on EC2; nullopt when
// IMDS is disabled or unreachable.
std::optional<std::string> imds_region(const CredentialContext& ctx);

// Parses the JSON the container endpoint, IMDS and credential_process answer with
// (AccessKeyId, SecretAccessKey, Token or SessionToken, Expiration).
Result<ResolvedCredentials> parse_credentials_json(std::string_view body, std::string source);

}  // namespace ghscale::aws
