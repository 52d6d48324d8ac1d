// The credential sources that reach outside the process: STS (web identity, assume
// role), credential_process, the container endpoint and EC2 instance metadata.
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "core/log.h"

namespace ghscale::aws {
namespace {

namespace json = boost::json;

Error unauthorized(std::string message) {
  return make_error(ErrorKind::kUnauthorized, std::move(message));
}

std::optional<std::string> read_file_trimmed(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string session_name(const CredentialContext& ctx, std::optional<std::string> configured) {
  if (configured) return *configured;
  return "ghscale-" + std::to_string(to_unix_ms(ctx.clock->now()));
}

std::string sts_region(const CredentialContext& ctx, const std::optional<std::string>& profile_region) {
  if (profile_region) return *profile_region;
  if (auto r = ctx.env.get("AWS_REGION")) return *r;
  if (auto r = ctx.env.get("AWS_DEFAULT_REGION")) return *r;
  return ctx.default_sts_region;
}

// STS AssumeRole / AssumeRoleWithWebIdentity → credentials. source == null: unsigned.
Result<ResolvedCredentials> call_sts(const CredentialContext& ctx, const std::string& region,
                                     std::shared_ptr<CredentialProvider> source, std::string_view operation,
                                     const json::object& params, std::string label) {
  if (!ctx.http) return unauthorized("no HTTP client to reach STS");
  auto endpoint = resolve_endpoint(Service::kSts, region, ctx.env);
  if (!endpoint.ok()) return unauthorized(endpoint.error().message);
  AwsClientOptions options;
  options.http = ctx.http;
  options.credentials = std::move(source);
  options.clock = ctx.clock;
  if (ctx.sleeper) options.sleeper = ctx.sleeper;
  AwsClient sts(Service::kSts, region, endpoint->url, std::move(options));
  auto out = sts.call(operation, params);
  if (!out.ok()) return unauthorized("STS " + std::string(operation) + " failed: " + out.error().message);
  const json::value* c = out->as_object().if_contains("Credentials");
  if (c == nullptr || !c->is_object())
    return unauthorized("STS " + std::string(operation) + " returned no Credentials");
  const json::object& o = c->as_object();
  auto str = [&](std::string_view k) {
    const json::value* f = o.if_contains(k);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  ResolvedCredentials r;
  r.source = std::move(label);
  r.credentials = {str("AccessKeyId"), str("SecretAccessKey"), str("SessionToken")};
  if (const json::value* e = o.if_contains("Expiration"); e != nullptr && e->is_number()) {
    r.expiration = from_unix_ms(static_cast<std::int64_t>(e->to_number<double>() * 1000.0 + 0.5));
  }
  if (r.credentials.access_key_id.empty() || r.credentials.secret_access_key.empty()) {
    return unauthorized("STS " + std::string(operation) + " returned empty credentials");
  }
  log::add_secret(r.credentials.secret_access_key);
  log::add_secret(r.credentials.session_token);
  return r;
}

Result<ResolvedCredentials> web_identity(const CredentialContext& ctx, const std::string& token_file,
                                         const std::string& role_arn, std::optional<std::string> session,
                                         const std::string& region, std::string label) {
  auto token = read_file_trimmed(token_file);
  if (!token) return unauthorized("cannot read web identity token file " + token_file);
  log::add_secret(*token);
  json::object params{
      {"RoleArn", role_arn}, {"RoleSessionName", session_name(ctx, std::move(session))}, {"WebIdentityToken", *token}};
  return call_sts(ctx, region, nullptr, "AssumeRoleWithWebIdentity", params, std::move(label));
}

class WebIdentityProvider final : public CredentialProvider {
 public:
  explicit WebIdentityProvider(CredentialContext ctx) : ctx_(std::move(ctx)) {}
  Result<ResolvedCredentials> resolve() override {
    auto file = ctx_.env.get("AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role = ctx_.env.get("AWS_ROLE_ARN");
    if (!file || !role) return unauthorized("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN not both set");
    return web_identity(ctx_, *file, *role, ctx_.env.get("AWS_ROLE_SESSION_NAME"), sts_region(ctx_, std::nullopt),
                        "web-identity");
  }
  std::string name() const override { return "web-identity"; }

 private:
  const CredentialContext ctx_;
};

class ProfileProvider final : public CredentialProvider {
 public:
  explicit ProfileProvider(CredentialContext ctx) : ctx_(std::move(ctx)) {}
  Result<ResolvedCredentials> resolve() override {
    const SharedFiles files = shared_files(ctx_.env);
    return resolve_profile(files, files.profile_name, 0);
  }
  std::string name() const override { return "profile"; }

 private:
  Result<ResolvedCredentials> resolve_profile(const SharedFiles& files, const std::string& name, int depth) {
    if (depth > 4) return unauthorized("profile " + name + ": source_profile chain too long (a loop?)");
    auto profile = load_profile(files, name);
    if (!profile) {
      return unauthorized("profile " + name + " not found in " + (files.config_path.empty() ? "-" : files.config_path) +
                          " or " + (files.credentials_path.empty() ? "-" : files.credentials_path));
    }
    const std::string label = "profile " + name;
    // A role to assume wins over keys in the same profile (only as a source is that used).
    if (auto role = profile->get("role_arn")) {
      const std::string region = sts_region(ctx_, profile->get("region"));
      if (auto token_file = profile->get("web_identity_token_file")) {
        return web_identity(ctx_, *token_file, *role, profile->get("role_session_name"), region,
                            label + " (web-identity)");
      }
      std::shared_ptr<CredentialProvider> source;
      if (auto source_profile = profile->get("source_profile")) {
        Result<ResolvedCredentials> base =
            *source_profile == name ? static_keys(*profile, label) : resolve_profile(files, *source_profile, depth + 1);
        if (!base.ok())
          return unauthorized(label + ": source_profile " + *source_profile + ": " + base.error().message);
        source = make_static_provider(base->credentials, base->source);
      } else if (auto cs = profile->get("credential_source")) {
        if (*cs == "Environment")
          source = make_environment_provider(ctx_);
        else if (*cs == "Ec2InstanceMetadata")
          source = make_imds_provider(ctx_);
        else if (*cs == "EcsContainer")
          source = make_container_provider(ctx_);
        else
          return unauthorized(label + ": unknown credential_source " + *cs);
      } else {
        return unauthorized(label + ": role_arn without source_profile or credential_source");
      }
      json::object params{{"RoleArn", *role},
                          {"RoleSessionName", session_name(ctx_, profile->get("role_session_name"))}};
      if (auto external = profile->get("external_id")) params["ExternalId"] = *external;
      if (auto duration = profile->get("duration_seconds")) {
        try {
          params["DurationSeconds"] = std::stoi(*duration);
        } catch (const std::exception&) {
          return unauthorized(label + ": duration_seconds is not a number");
        }
      }
      return call_sts(ctx_, region, std::move(source), "AssumeRole", params, label + " (assume-role " + *role + ")");
    }
    if (profile->get("aws_access_key_id") || profile->get("aws_secret_access_key")) return static_keys(*profile, label);
    if (auto command = profile->get("credential_process")) return process(*command, label);
    return unauthorized(label + " in " + profile->found_in + " has no credentials");
  }

  Result<ResolvedCredentials> static_keys(const Profile& profile, const std::string& label) {
    auto id = profile.get("aws_access_key_id");
    auto secret = profile.get("aws_secret_access_key");
    if (!id || !secret) return unauthorized(label + ": needs both aws_access_key_id and aws_secret_access_key");
    ResolvedCredentials r{{*id, *secret, profile.get("aws_session_token").value_or("")}, std::nullopt, label};
    log::add_secret(r.credentials.secret_access_key);
    log::add_secret(r.credentials.session_token);
    return r;
  }

  Result<ResolvedCredentials> process(const std::string& command, const std::string& label) {
    auto out = ctx_.process_runner(command, std::chrono::seconds(30));
    if (!out.ok()) return unauthorized(label + ": credential_process: " + out.error().message);
    boost::system::error_code ec;
    json::value v = json::parse(*out, ec);
    if (ec || !v.is_object()) return unauthorized(label + ": credential_process printed no JSON object");
    const json::value* version = v.as_object().if_contains("Version");
    if (version == nullptr || !version->is_int64() || version->as_int64() != 1) {
      return unauthorized(label + ": credential_process output needs \"Version\": 1");
    }
    auto r = parse_credentials_json(*out, label + " (credential_process)");
    if (!r.ok()) return r;
    return r;
  }

  const CredentialContext ctx_;
};

bool loopback_or_container_host(std::string authority) {
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    authority = authority.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    return authority == "::1" || authority == "fd00:ec2::23";
  }
  authority = authority.substr(0, authority.find(':'));
  return authority == "localhost" || authority.rfind("127.", 0) == 0 || authority == "169.254.170.2" ||
         authority == "169.254.170.23";
}

class ContainerProvider final : public CredentialProvider {
 public:
  explicit ContainerProvider(CredentialContext ctx) : ctx_(std::move(ctx)) {}
  Result<ResolvedCredentials> resolve() override {
    std::string url;
    if (auto relative = ctx_.env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      url = ctx_.container_endpoint + *relative;
    } else if (auto full = ctx_.env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      url = *full;
      const bool https = url.rfind("https://", 0) == 0;
      if (!https && !(url.rfind("http://", 0) == 0 && loopback_or_container_host(url_authority(url)))) {
        return unauthorized("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback/container host");
      }
    } else {
      return unauthorized("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set");
    }
    if (!ctx_.http) return unauthorized("no HTTP client");
    http::ClientRequest req;
    req.method = "GET";
    req.url = url;
    req.timeout = ctx_.metadata_timeout;
    std::optional<std::string> token;
    if (auto file = ctx_.env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      token = read_file_trimmed(*file);
      if (!token) return unauthorized("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
    } else {
      token = ctx_.env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (token) {
      log::add_secret(*token);
      req.headers.set("Authorization", *token);
    }
    auto resp = ctx_.http->send(req);
    const std::string where = http::url_without_query(url);
    if (!resp.ok()) return unauthorized("container endpoint " + where + ": " + resp.error().message);
    if (resp->status != 200) {
      return unauthorized("container endpoint " + where + " answered HTTP " + std::to_string(resp->status));
    }
    return parse_credentials_json(resp->body, "container");
  }
  std::string name() const override { return "container"; }

 private:
  const CredentialContext ctx_;
};

std::string imds_base(const CredentialContext& ctx) {
  std::string base = ctx.env.get_or("AWS_EC2_METADATA_SERVICE_ENDPOINT", ctx.imds_endpoint);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// One IMDSv2 session: a token, then GETs with it.
class ImdsSession {
 public:
  explicit ImdsSession(const CredentialContext& ctx) : ctx_(ctx), base_(imds_base(ctx)) {}

  Status open() {
    if (!ctx_.http) return unauthorized("no HTTP client");
    http::ClientRequest req;
    req.method = "PUT";
    req.url = base_ + "/latest/api/token";
    req.headers.set("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    req.timeout = ctx_.metadata_timeout;
    auto resp = ctx_.http->send(req);
    if (!resp.ok()) return unauthorized("IMDS token at " + base_ + ": " + resp.error().message);
    if (resp->status != 200) return unauthorized("IMDS token at " + base_ + ": HTTP " + std::to_string(resp->status));
    token_ = resp->body;
    log::add_secret(token_);
    return ok_status();
  }

  Result<std::string> get(const std::string& path) {
    http::ClientRequest req;
    req.method = "GET";
    req.url = base_ + path;
    req.headers.set("X-aws-ec2-metadata-token", token_);
    req.timeout = ctx_.metadata_timeout;
    auto resp = ctx_.http->send(req);
    if (!resp.ok()) return unauthorized("IMDS " + path + ": " + resp.error().message);
    if (resp->status != 200) return unauthorized("IMDS " + path + ": HTTP " + std::to_string(resp->status));
    return std::move(resp->body);
  }

 private:
  const CredentialContext& ctx_;
  const std::string base_;
  std::string token_;
};

class ImdsProvider final : public CredentialProvider {
 public:
  explicit ImdsProvider(CredentialContext ctx) : ctx_(std::move(ctx)) {}
  Result<ResolvedCredentials> resolve() override {
    if (ctx_.env.flag("AWS_EC2_METADATA_DISABLED")) return unauthorized("disabled by AWS_EC2_METADATA_DISABLED");
    ImdsSession imds(ctx_);
    if (Status s = imds.open(); !s.ok()) return s.error();
    const std::string prefix = "/latest/meta-data/iam/security-credentials/";
    auto roles = imds.get(prefix);
    if (!roles.ok()) return roles.error();
    std::string role = roles->substr(0, roles->find('\n'));
    while (!role.empty() && (role.back() == '\r' || role.back() == ' ')) role.pop_back();
    if (role.empty()) return unauthorized("IMDS: the instance has no IAM role");
    auto body = imds.get(prefix + role);
    if (!body.ok()) return body.error();
    boost::system::error_code ec;
    json::value v = json::parse(*body, ec);
    if (!ec && v.is_object()) {
      const json::value* code = v.as_object().if_contains("Code");
      if (code != nullptr && code->is_string() && code->as_string() != "Success") {
        return unauthorized("IMDS credentials for role " + role + ": " + std::string(code->as_string()));
      }
    }
    return parse_credentials_json(*body, "imds (role " + role + ")");
  }
  std::string name() const override { return "imds"; }

 private:
  const CredentialContext ctx_;
};

}  // namespace

std::shared_ptr<CredentialProvider> make_web_identity_provider(const CredentialContext& ctx) {
  return std::make_shared<WebIdentityProvider>(ctx);
}
std::shared_ptr<CredentialProvider> make_profile_provider(const CredentialContext& ctx) {
  return std::make_shared<ProfileProvider>(ctx);
}
std::shared_ptr<CredentialProvider> make_container_provider(const CredentialContext& ctx) {
  return std::make_shared<ContainerProvider>(ctx);
}
std::shared_ptr<CredentialProvider> make_imds_provider(const CredentialContext& ctx) {
  return std::make_shared<ImdsProvider>(ctx);
}

std::optional<std::string> imds_region(const CredentialContext& ctx) {
  if (ctx.env.flag("AWS_EC2_METADATA_DISABLED") || !ctx.http) return std::nullopt;
  ImdsSession imds(ctx);
  if (!imds.open().ok()) return std::nullopt;
  auto region = imds.get("/latest/meta-data/placement/region");
  if (!region.ok()) return std::nullopt;
  return *region;
}

}  // namespace ghscale::aws
