#include <curl/curl.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "http/client.h"

namespace ghscale::http {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

void ensure_global_init() {
  static CurlGlobal global;
  (void)global;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* response = static_cast<ClientResponse*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after 100 Continue or a redirect): start the headers afresh.
    response->headers.items.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  response->headers.add(std::string(name), std::string(value));
  return size * n;
}

class CurlClient final : public Client {
 public:
  explicit CurlClient(ClientOptions options) : options_(std::move(options)) { ensure_global_init(); }

  ~CurlClient() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  Result<ClientResponse> send(const ClientRequest& request) override {
    CURL* h = take_handle();
    if (h == nullptr) return make_error(ErrorKind::kPermanent, "cannot create a curl handle");
    ClientResponse response;
    curl_slist* headers = nullptr;
    bool has_content_type = false;
    for (const auto& [k, v] : request.headers.items) {
      has_content_type = has_content_type || iequals(k, "Content-Type");
      headers = curl_slist_append(headers, (k + ": " + v).c_str());
    }
    // curl would add these on its own; an explicit empty value suppresses them.
    headers = curl_slist_append(headers, "Expect:");
    if (!has_content_type && !request.body.empty()) headers = curl_slist_append(headers, "Content-Type:");

    Duration timeout = request.timeout.count() > 0 ? request.timeout : options_.timeout;
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!options_.user_agent.empty()) curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      // A failed handle may hold a broken connection: do not reuse it.
      curl_easy_cleanup(h);
      return make_error(ErrorKind::kRetryable, request.method + " " + url_without_query(request.url) + ": " +
                                                   curl_easy_strerror(rc));
    }
    give_back(h);
    response.status = static_cast<int>(status);
    return response;
  }

 private:
  CURL* take_handle() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        curl_easy_reset(h);  // keeps the connection cache, clears options
        return h;
      }
    }
    return curl_easy_init();
  }

  void give_back(CURL* h) {
    std::lock_guard lock(mu_);
    if (static_cast<int>(idle_.size()) < options_.max_idle_handles) {
      idle_.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }

  const ClientOptions options_;
  std::mutex mu_;
  std::vector<CURL*> idle_;  // guarded by mu_
};

}  // namespace

std::shared_ptr<Client> make_curl_client(ClientOptions options) {
  // Like the curl tool: CURL_CA_BUNDLE names the CA file when none is configured (the
  // Lambda package bundles one, as provided.al2023 keeps its own elsewhere than Debian).
  if (options.ca_file.empty()) {
    if (const char* bundle = std::getenv("CURL_CA_BUNDLE"); bundle != nullptr && *bundle != '\0') options.ca_file = bundle;
  }
  return std::make_shared<CurlClient>(std::move(options));
}

std::string url_without_query(std::string_view url) {
  auto q = url.find_first_of("?#");
  return std::string(q == std::string_view::npos ? url : url.substr(0, q));
}

}  // namespace ghscale::http
