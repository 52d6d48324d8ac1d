// SSM Parameter Store: secrets (ssm: references) and the hand-over of runner
// registrations. Values are decrypted by default; registered with log::add_secret when
// SecureString. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/aws_client.h"

namespace ghscale::aws {

struct Parameter {
  std::string name;
  std::string type;  // "String", "StringList", "SecureString"
  std::string value;
  std::int64_t version = 0;
  TimePoint last_modified;
};

struct GetParametersResult {
  std::vector<Parameter> parameters;
  std::vector<std::string> invalid;  // names that do not exist
};

struct PutParameterRequest {
  std::string name;
  std::string value;
  std::string type = "SecureString";
  bool overwrite = true;
  std::string description;
  std::string key_id;  // KMS key; empty = the account's default
};

class SsmClient {
 public:
  explicit SsmClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

  // kNotFound for a missing parameter.
  Result<Parameter> get_parameter(const std::string& name, bool decrypt = true);
  // Any number of names (asked 10 at a time).
  Result<GetParametersResult> get_parameters(const std::vector<std::string>& names, bool decrypt = true);
  // Every page.
  Result<std::vector<Parameter>> get_parameters_by_path(const std::string& path, bool recursive = true,
                                                        bool decrypt = true);
  // The new version.
  Result<std::int64_t> put_parameter(const PutParameterRequest& request);
  Status delete_parameter(const std::string& name);

  AwsClient& raw() { return *client_; }

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ghscale::aws
