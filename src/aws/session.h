// Everything a process needs to call AWS, resolved once: region, credentials, endpoints
// per service, one HTTP client, one retry quota. Hands out AwsClients per service.
// Thread-safe after create().
#pragma once

#include <map>
#include <memory>
#include <string>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/environment.h"

namespace ghscale::aws {

struct SessionOptions {
  CredentialContext context;                             // environment, http, clock, metadata hosts
  std::string region;                                    // from the config; empty = resolve
  std::string endpoint_url;                              // from the config, for every service; empty = resolve
  std::map<Service, std::string> service_endpoint_urls;  // per service, wins over endpoint_url
  std::shared_ptr<CredentialProvider> credentials;       // null = the default chain
  Sleeper sleeper = real_sleeper();
  RetryPolicy retry;
  bool region_from_imds = true;
};

class Session {
 public:
  // kInvalid without a region or with a bad endpoint override.
  static Result<std::shared_ptr<Session>> create(SessionOptions options);

  const ResolvedRegion& region() const { return region_; }
  const ResolvedEndpoint& endpoint(Service service) const { return endpoints_.at(service); }
  const std::shared_ptr<CredentialProvider>& credentials() const { return credentials_; }
  // One client per service, made on first use.
  std::shared_ptr<AwsClient> client(Service service);

 private:
  Session() = default;
  SessionOptions options_;
  ResolvedRegion region_;
  std::map<Service, ResolvedEndpoint> endpoints_;
  std::shared_ptr<CredentialProvider> credentials_;
  std::shared_ptr<RetryQuota> quota_ = std::make_shared<RetryQuota>();
  std::mutex mu_;
  std::map<Service, std::shared_ptr<AwsClient>> clients_;  // guarded by mu_
};

}  // namespace ghscale::aws
