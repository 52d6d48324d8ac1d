// STS: who we are (whoami) and role assumption. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "aws/aws_client.h"
#include "aws/credentials.h"

namespace ghscale::aws {

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

class StsClient {
 public:
  explicit StsClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

  Result<CallerIdentity> get_caller_identity();
  Result<ResolvedCredentials> assume_role(const std::string& role_arn, const std::string& session_name,
                                          int duration_seconds = 3600);
  // Sent unsigned when the AwsClient has no credentials, as the SDKs do.
  Result<ResolvedCredentials> assume_role_with_web_identity(const std::string& role_arn,
                                                            const std::string& session_name,
                                                            const std::string& web_identity_token);

  AwsClient& raw() { return *client_; }

 private:
  Result<ResolvedCredentials> credentials_of(const Result<boost::json::value>& out, std::string source);
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ghscale::aws
