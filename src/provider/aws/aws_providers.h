// Building the AWS providers of a configuration: one aws::Session per (region, endpoint)
// — so pools of one account and region share credentials, HTTP client, retry quota — and
// one SSM hand-over (with its pacing bucket) per session, as Parameter Store throughput is
// per account and region. The endpoint comes from the pool's endpoint_url, else from
// AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, else the region's (aws/endpoints.h).
// Not thread-safe: build at start-up, then share the providers (which are).
#pragma once

#include <map>
#include <memory>
#include <utility>

#include "aws/session.h"
#include "config/config.h"
#include "provider/aws/asg_provider.h"
#include "provider/aws/fleet_provider.h"
#include "provider/aws/ssm_hand_over.h"

namespace ghscale::provider {

class AwsProviderFactory {
 public:
  // `base` is copied into every session made (credential context, retry policy, sleeper).
  explicit AwsProviderFactory(aws::SessionOptions base = {}) : base_(std::move(base)) {}

  // The session for a pool's provider config; kInvalid without a region or with a bad
  // endpoint.
  Result<std::shared_ptr<aws::Session>> session(const config::ProviderConfig& provider);
  // An aws_asg or aws_fleet pool's provider; kInvalid for a sim pool or a missing field.
  // `ledger`, when given, keeps its launches beyond this process (launch_ledger.h).
  Result<std::shared_ptr<Provider>> make(const config::PoolConfig& pool, std::shared_ptr<LaunchLedger> ledger = nullptr);

 private:
  struct Shared {
    std::shared_ptr<aws::Session> session;
    std::map<std::string, std::shared_ptr<SsmHandOver>> hand_over;  // by ssm_prefix
  };
  aws::SessionOptions base_;
  std::map<std::pair<std::string, std::string>, Shared> sessions_;
};

}  // namespace ghscale::provider
