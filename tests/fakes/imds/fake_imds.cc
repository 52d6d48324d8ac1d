#include "fakes/imds/fake_imds.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <random>

#include "http/server.h"

namespace ghscale::fakes {

namespace json = boost::json;

namespace {

constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kMetaData = "/latest/meta-data/";
constexpr int kMaxTokenTtlSeconds = 21600;  // IMDS refuses longer sessions

std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<int> parse_ttl(std::string_view s) {
  if (s.empty() || s.size() > 6) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

http::Response text(int status, std::string body) { return http::Response::text(status, std::move(body)); }

}  // namespace

struct FakeImds::Impl {
  FakeImdsOptions options;
  std::unique_ptr<http::Server> server;

  mutable std::mutex mu;
  std::map<std::string, std::chrono::steady_clock::time_point> tokens;  // token → expiry
  std::string spot_action;
  int token_requests = 0;
  int credential_requests = 0;
  int rejected = 0;
  std::map<std::string, int> served;
  std::mt19937_64 rng{std::random_device{}()};

  http::Response serve(const http::Request& r) {
    std::lock_guard lock(mu);
    const std::string path(r.path());
    if (path == kTokenPath) return issue_token(r);
    if (r.method != "GET") return text(405, "");
    // IMDSv2 only: every read carries a live session token.
    const auto it = tokens.find(std::string(r.headers.get("X-aws-ec2-metadata-token")));
    if (it == tokens.end() || it->second < std::chrono::steady_clock::now()) {
      ++rejected;
      return text(401, "");
    }
    auto answer = metadata(path);
    if (answer.status == 200) ++served[path];
    return answer;
  }

  http::Response issue_token(const http::Request& r) {
    if (r.method != "PUT") return text(405, "");
    // IMDS refuses token requests that went through a proxy.
    if (r.headers.find("X-Forwarded-For") != nullptr) {
      ++rejected;
      return text(403, "");
    }
    const auto ttl = parse_ttl(r.headers.get("X-aws-ec2-metadata-token-ttl-seconds"));
    if (!ttl || *ttl < 1 || *ttl > kMaxTokenTtlSeconds) {
      ++rejected;
      return text(400, "");
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    std::string token = std::string("AQAEA") + buf;
    tokens[token] = std::chrono::steady_clock::now() + std::chrono::seconds(*ttl);
    ++token_requests;
    http::Response resp = text(200, token);
    resp.headers.set("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(*ttl));
    return resp;
  }

  http::Response metadata(const std::string& path) {
    const auto now = std::chrono::system_clock::now();
    const std::string creds = std::string(kMetaData) + "iam/security-credentials/";
    if (path == std::string(kMetaData) + "instance-id") return text(200, options.instance_id);
    if (path == std::string(kMetaData) + "placement/region") return text(200, options.region);
    if (path == std::string(kMetaData) + "placement/availability-zone") return text(200, options.region + "a");
    if (path == creds || path == creds.substr(0, creds.size() - 1)) return text(200, options.role_name);
    if (path == creds + options.role_name) {
      ++credential_requests;
      json::object o{{"Code", "Success"},
                     {"LastUpdated", iso8601(now)},
                     {"Type", "AWS-HMAC"},
                     {"AccessKeyId", options.access_key_id},
                     {"SecretAccessKey", options.secret_access_key},
                     {"Token", options.session_token},
                     {"Expiration", iso8601(now + std::chrono::hours(6))}};
      return http::Response::text(200, json::serialize(o), "text/plain");
    }
    if (path == std::string(kMetaData) + "iam/info") {
      json::object o{{"Code", "Success"},
                     {"LastUpdated", iso8601(now)},
                     {"InstanceProfileArn", "arn:aws:iam::" + options.account + ":instance-profile/" + options.role_name},
                     {"InstanceProfileId", "AIPAFAKEINSTANCEPROFILE"}};
      return http::Response::text(200, json::serialize(o), "text/plain");
    }
    if (path == std::string(kMetaData) + "spot/instance-action") {
      if (spot_action.empty()) return text(404, "");
      json::object o{{"action", spot_action}, {"time", iso8601(now + std::chrono::minutes(2))}};
      return http::Response::text(200, json::serialize(o), "text/plain");
    }
    if (path == "/latest/dynamic/instance-identity/document") {
      json::object o{{"accountId", options.account},       {"instanceId", options.instance_id},
                     {"region", options.region},           {"availabilityZone", options.region + "a"},
                     {"instanceType", "t3.micro"},         {"imageId", "ami-fake"},
                     {"pendingTime", iso8601(now)},        {"architecture", "x86_64"}};
      return http::Response::text(200, json::serialize(o), "text/plain");
    }
    return text(404, "");
  }
};

FakeImds::FakeImds(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeImds::~FakeImds() { shutdown(); }

Result<std::unique_ptr<FakeImds>> FakeImds::start(FakeImdsOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  Impl* raw = impl.get();
  http::ServerOptions server_options;
  server_options.port = impl->options.port;
  server_options.threads = 2;
  auto server = http::Server::start(server_options,
                                    http::make_sync_handler([raw](const http::Request& r) { return raw->serve(r); }));
  if (!server.ok()) return server.error();
  impl->server = std::move(*server);
  return std::unique_ptr<FakeImds>(new FakeImds(std::move(impl)));
}

std::uint16_t FakeImds::port() const { return impl_->server->port(); }
std::string FakeImds::endpoint() const { return "http://127.0.0.1:" + std::to_string(port()); }
void FakeImds::shutdown() {
  if (impl_ && impl_->server) impl_->server->shutdown(std::chrono::seconds(2));
}

void FakeImds::set_spot_action(const std::string& action) {
  std::lock_guard lock(impl_->mu);
  impl_->spot_action = action;
}

int FakeImds::token_requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->token_requests;
}
int FakeImds::credential_requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->credential_requests;
}
int FakeImds::rejected_requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->rejected;
}
int FakeImds::requests(const std::string& path) const {
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->served.find(path);
  return it == impl_->served.end() ? 0 : it->second;
}

}  // namespace ghscale::fakes
