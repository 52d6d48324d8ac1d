#include "aws/services/ssm.h"

#include "aws/services/json_util.h"
#include "core/log.h"

namespace ghscale::aws {

namespace json = boost::json;
using services::arr;
using services::str;

namespace {

Parameter to_parameter(const json::value& p) {
  Parameter out{str(p, "Name"), str(p, "Type"), str(p, "Value"), services::num(p, "Version"),
                services::time(p, "LastModifiedDate")};
  if (out.type == "SecureString") log::add_secret(out.value);
  return out;
}

}  // namespace

Result<Parameter> SsmClient::get_parameter(const std::string& name, bool decrypt) {
  auto out = client_->call("GetParameter", json::object{{"Name", name}, {"WithDecryption", decrypt}});
  if (!out.ok()) return out.error();
  return to_parameter(services::obj(*out, "Parameter"));
}

Result<GetParametersResult> SsmClient::get_parameters(const std::vector<std::string>& names, bool decrypt) {
  GetParametersResult result;
  for (std::size_t i = 0; i < names.size(); i += 10) {
    std::vector<std::string> batch(names.begin() + static_cast<std::ptrdiff_t>(i),
                                   names.begin() + static_cast<std::ptrdiff_t>(std::min(names.size(), i + 10)));
    auto out = client_->call("GetParameters",
                             json::object{{"Names", services::string_array(batch)}, {"WithDecryption", decrypt}});
    if (!out.ok()) return out.error();
    for (const auto& p : arr(*out, "Parameters")) result.parameters.push_back(to_parameter(p));
    for (const auto& n : arr(*out, "InvalidParameters")) {
      if (n.is_string()) result.invalid.emplace_back(n.as_string());
    }
  }
  return result;
}

Result<std::vector<Parameter>> SsmClient::get_parameters_by_path(const std::string& path, bool recursive,
                                                                 bool decrypt) {
  std::vector<Parameter> parameters;
  std::string token;
  do {
    json::object params{{"Path", path}, {"Recursive", recursive}, {"WithDecryption", decrypt}, {"MaxResults", 10}};
    if (!token.empty()) params["NextToken"] = token;
    auto out = client_->call("GetParametersByPath", params);
    if (!out.ok()) return out.error();
    for (const auto& p : arr(*out, "Parameters")) parameters.push_back(to_parameter(p));
    token = str(*out, "NextToken");
  } while (!token.empty());
  return parameters;
}

Result<std::int64_t> SsmClient::put_parameter(const PutParameterRequest& r) {
  if (r.type == "SecureString") log::add_secret(r.value);
  json::object params{{"Name", r.name}, {"Value", r.value}, {"Type", r.type}, {"Overwrite", r.overwrite}};
  if (!r.description.empty()) params["Description"] = r.description;
  if (!r.key_id.empty()) params["KeyId"] = r.key_id;
  auto out = client_->call("PutParameter", params);
  if (!out.ok()) return out.error();
  return services::num(*out, "Version");
}

Status SsmClient::delete_parameter(const std::string& name) {
  auto out = client_->call("DeleteParameter", json::object{{"Name", name}});
  return out.ok() ? ok_status() : Status(out.error());
}

}  // namespace ghscale::aws
