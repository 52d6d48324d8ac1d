#include "aws/services/sts.h"

#include "aws/services/json_util.h"
#include "core/log.h"

namespace ghscale::aws {

namespace json = boost::json;
using services::str;

Result<CallerIdentity> StsClient::get_caller_identity() {
  auto out = client_->call("GetCallerIdentity", json::object{});
  if (!out.ok()) return out.error();
  return CallerIdentity{str(*out, "Account"), str(*out, "Arn"), str(*out, "UserId")};
}

Result<ResolvedCredentials> StsClient::credentials_of(const Result<json::value>& out, std::string source) {
  if (!out.ok()) return out.error();
  const json::object& c = services::obj(*out, "Credentials");
  ResolvedCredentials r;
  r.credentials = {str(c, "AccessKeyId"), str(c, "SecretAccessKey"), str(c, "SessionToken")};
  r.expiration = services::time(c, "Expiration");
  r.source = std::move(source);
  log::add_secret(r.credentials.secret_access_key);
  log::add_secret(r.credentials.session_token);
  return r;
}

Result<ResolvedCredentials> StsClient::assume_role(const std::string& role_arn, const std::string& session_name,
                                                   int duration_seconds) {
  return credentials_of(client_->call("AssumeRole", json::object{{"RoleArn", role_arn},
                                                                 {"RoleSessionName", session_name},
                                                                 {"DurationSeconds", duration_seconds}}),
                        "assume-role " + role_arn);
}

Result<ResolvedCredentials> StsClient::assume_role_with_web_identity(const std::string& role_arn,
                                                                     const std::string& session_name,
                                                                     const std::string& web_identity_token) {
  log::add_secret(web_identity_token);
  return credentials_of(
      client_->call("AssumeRoleWithWebIdentity", json::object{{"RoleArn", role_arn},
                                                              {"RoleSessionName", session_name},
                                                              {"WebIdentityToken", web_identity_token}}),
      "web-identity " + role_arn);
}

}  // namespace ghscale::aws
