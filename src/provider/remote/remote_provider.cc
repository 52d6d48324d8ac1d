#include "provider/remote/remote_provider.h"

#include "http/client.h"
#include "provider/remote/wire.h"

namespace ghscale::provider {
namespace {

// Pool names are [a-z0-9-] by config validation; anything else is escaped anyway.
std::string escape_segment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

RemoteProvider::RemoteProvider(RemoteProviderOptions options) : options_(std::move(options)) {
  while (!options_.endpoint_url.empty() && options_.endpoint_url.back() == '/') options_.endpoint_url.pop_back();
  if (!options_.client) options_.client = http::make_curl_client({.timeout = options_.timeout});
}

RemoteProvider::~RemoteProvider() = default;

Result<std::string> RemoteProvider::call(std::string method, std::string path, std::string body) {
  http::ClientRequest req;
  req.method = std::move(method);
  req.url = options_.endpoint_url + path;
  req.body = std::move(body);
  req.timeout = options_.timeout;
  if (!req.body.empty()) req.headers.set("Content-Type", "application/json");
  if (!options_.process.empty()) req.headers.set(std::string(wire::kProcessHeader), options_.process);
  auto resp = options_.client->send(req);
  if (!resp) return resp.error();
  if (resp->status / 100 != 2) return wire::decode_error(resp->status, resp->body);
  return std::move(resp->body);
}

Result<std::vector<CloudInstance>> RemoteProvider::describe(std::string_view pool) {
  auto body = call("GET", "/v1/pools/" + escape_segment(pool) + "/instances", "");
  if (!body) return body.error();
  return wire::decode_instances(*body);
}

Result<LaunchOutcome> RemoteProvider::launch(const LaunchRequest& request) {
  if (request.split.total() <= 0) return make_error(ErrorKind::kInvalid, "launch: nothing to launch");
  auto body = call("POST", "/v1/launch", wire::encode_launch_request(request));
  if (!body) return body.error();
  return wire::decode_launch_outcome(*body);
}

Status RemoteProvider::terminate(const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  auto body = call("POST", "/v1/terminate", wire::encode_ids(ids));
  if (!body) return body.error();
  return {};
}

Status RemoteProvider::protect(const std::vector<std::string>& ids, bool enabled) {
  if (ids.empty()) return {};
  auto body = call("POST", "/v1/protect", wire::encode_ids(ids, enabled));
  if (!body) return body.error();
  return {};
}

Status RemoteProvider::hand_over(std::string_view instance_id, const Registration& registration) {
  auto body = call("POST", "/v1/hand-over", wire::encode_hand_over(instance_id, registration));
  if (!body) return body.error();
  return {};
}

}  // namespace ghscale::provider
