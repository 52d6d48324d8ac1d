// The outbound HTTP client (libcurl underneath, hidden here) shared by the GitHub and
// AWS layers: keep-alive connections reused across calls, timeouts on every call,
// proxies from HTTPS_PROXY/NO_PROXY as curl honours them. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "http/message.h"

namespace ghscale::http {

using namespace std::chrono_literals;

struct ClientOptions {
  Duration connect_timeout = 5s;
  Duration timeout = 30s;  // whole call, unless the request says otherwise
  std::string user_agent;  // e.g. "ghscale/0.1.0"
  std::string ca_file;     // extra CA bundle (GHES with a private CA); empty = system
  int max_idle_handles = 16;  // connections kept warm for reuse
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute: https://api.github.com/orgs/x/actions/runners?per_page=100
  Headers headers;
  std::string body;
  Duration timeout{0};  // 0 = the client's default
};

struct ClientResponse {
  int status = 0;
  Headers headers;  // names as received; look up case-insensitively
  std::string body;
};

class Client {
 public:
  virtual ~Client() = default;
  // A transport failure (DNS, connect, TLS, timeout, reset) is kRetryable; the message
  // names the method and the URL without its query string (it may carry signatures).
  // Any HTTP status, 5xx included, is a successful ClientResponse.
  virtual Result<ClientResponse> send(const ClientRequest& request) = 0;
};

std::shared_ptr<Client> make_curl_client(ClientOptions options = {});

// "https://host:port/path" without "?query".
std::string url_without_query(std::string_view url);

}  // namespace ghscale::http
