#include "aws/aws_client.h"

#include <algorithm>
#include <random>
#include <thread>

#include "aws/endpoints.h"
#include "aws/timestamp.h"
#include "core/log.h"

namespace ghscale::aws {
namespace {

bool code_in(std::string_view code, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), code) != names.end();
}

double default_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

protocol::HttpResponse to_protocol(const http::ClientResponse& response) {
  protocol::HttpResponse out;
  out.status = response.status;
  out.body = response.body;
  for (const auto& [k, v] : response.headers.items) out.headers.push_back({k, v});
  return out;
}

// curl says "Timeout was reached"; a timeout costs more retry tokens than other failures.
bool looks_like_timeout(const Error& e) {
  std::string lower = e.message;
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return lower.find("timed out") != std::string::npos || lower.find("timeout") != std::string::npos;
}

}  // namespace

Sleeper real_sleeper() {
  return [](Duration d) { std::this_thread::sleep_for(d); };
}

bool RetryQuota::acquire(int cost) {
  std::lock_guard lock(mu_);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  return true;
}

void RetryQuota::release(int amount) {
  std::lock_guard lock(mu_);
  tokens_ = std::min(capacity_, tokens_ + amount);
}

int RetryQuota::available() const {
  std::lock_guard lock(mu_);
  return tokens_;
}

bool is_clock_skew_code(std::string_view code) {
  return code_in(code, {"RequestTimeTooSkewed", "RequestExpired", "InvalidSignatureException", "SignatureDoesNotMatch",
                        "AuthFailure", "RequestInTheFuture"});
}

AwsClient::AwsClient(Service service, std::string region, std::string endpoint_url, AwsClientOptions options)
    : AwsClient(embedded_model(service), std::move(region), std::move(endpoint_url), std::move(options)) {}

AwsClient::AwsClient(const protocol::ServiceModel& model, std::string region, std::string endpoint_url,
                     AwsClientOptions options)
    : model_(model),
      region_(std::move(region)),
      endpoint_(std::move(endpoint_url)),
      host_(url_authority(endpoint_)),
      options_(std::move(options)),
      signer_(SigningOptions{.region = region_,
                             .service = model.metadata().signing_name.empty() ? model.metadata().endpoint_prefix
                                                                              : model.metadata().signing_name}) {}

Duration AwsClient::backoff(int attempt) {
  const double r = options_.random ? options_.random() : default_random();
  const double cap = static_cast<double>(options_.retry.max_backoff.count());
  const double exp =
      static_cast<double>(options_.retry.base_delay.count()) * static_cast<double>(1 << std::min(attempt, 20));
  return Duration{static_cast<Duration::rep>(r * std::min(cap, exp))};
}

Result<protocol::ApiResult> AwsClient::call_raw(std::string_view operation_name, const boost::json::value& params,
                                                CallStats* stats) {
  const protocol::Operation* operation = model_.operation(operation_name);
  if (operation == nullptr) {
    return make_error(ErrorKind::kInvalid,
                      "unknown operation " + std::string(operation_name) + " for " + model_.metadata().endpoint_prefix);
  }
  auto serialized = protocol::serialize_request(model_.metadata(), *operation, params);
  if (!serialized.ok()) return serialized.error();
  serialized->set_header("host", host_);

  CallStats local_stats;
  CallStats& st = stats != nullptr ? *stats : local_stats;
  int retry_tokens_held = 0;
  bool skew_retried = false;
  bool credentials_refreshed = false;
  const std::string what = model_.metadata().endpoint_prefix + " " + std::string(operation_name);

  for (int attempt = 1;; ++attempt) {
    st.attempts = attempt;
    Request request = *serialized;
    if (options_.credentials) {
      auto creds = options_.credentials->resolve();
      if (!creds.ok()) return creds.error();
      const TimePoint now = options_.clock->now() + clock_offset();
      if (Status s = signer_.sign(request, creds->credentials, now); !s.ok()) return s.error();
    }
    http::ClientRequest http_request;
    http_request.method = request.method;
    http_request.url = endpoint_ + request.target();
    for (auto& h : request.headers) http_request.headers.add(h.name, h.value);
    http_request.body = std::move(request.body);
    http_request.timeout = options_.timeout;

    auto response = options_.http->send(http_request);
    std::optional<Result<protocol::ApiResult>> last;
    bool retry = false;
    int cost = options_.retry.retry_cost;
    if (!response.ok()) {
      retry = response.error().retryable();
      if (looks_like_timeout(response.error())) cost = options_.retry.timeout_retry_cost;
      last.emplace(Error{response.error().kind, what + ": " + response.error().message, {}});
    } else {
      auto parsed = protocol::parse_response(model_.metadata(), *operation, model_.shapes(), to_protocol(*response));
      if (!parsed.ok()) {
        retry = parsed.error().retryable();
        last.emplace(Error{parsed.error().kind, what + ": " + parsed.error().message, {}});
      } else if (!parsed->error) {
        options_.quota->release(retry_tokens_held > 0 ? retry_tokens_held : 1);
        return std::move(parsed).value();
      } else {
        const protocol::ApiError& api = *parsed->error;
        const std::string* date = response->headers.find("Date");
        if (!skew_retried && is_clock_skew_code(api.code) && date != nullptr) {
          if (auto server_time = parse_http_date(*date); server_time.ok()) {
            const Duration offset = std::chrono::duration_cast<Duration>(*server_time - options_.clock->now());
            const Duration change = offset - clock_offset();
            // Date has whole seconds; a skew smaller than a minute is not what failed.
            if (change > std::chrono::minutes(1) || change < -std::chrono::minutes(1)) {
              clock_offset_ms_.store(offset.count());
              skew_retried = true;
              log::warn("aws clock skew corrected", {{"service", model_.metadata().endpoint_prefix},
                                                     {"offset_ms", static_cast<std::int64_t>(offset.count())}});
              continue;
            }
          }
        }
        if (!credentials_refreshed && code_in(api.code, {"ExpiredToken", "ExpiredTokenException", "RequestExpired"})) {
          if (auto* caching = dynamic_cast<CachingCredentialProvider*>(options_.credentials.get())) {
            caching->invalidate();
            credentials_refreshed = true;
            continue;
          }
        }
        const ErrorKind kind = api.kind();
        retry = kind == ErrorKind::kThrottled || kind == ErrorKind::kRetryable;
        last.emplace(std::move(parsed).value());
      }
    }
    if (!retry || attempt >= options_.retry.max_attempts) return std::move(*last);
    if (!options_.quota->acquire(cost)) {
      log::warn("aws retry quota exhausted", {{"operation", what}});
      return std::move(*last);
    }
    retry_tokens_held += cost;
    const Duration delay = backoff(attempt - 1);
    st.slept += delay;
    options_.sleeper(delay);
  }
}

Result<boost::json::value> AwsClient::call(std::string_view operation, const boost::json::value& params,
                                           CallStats* stats) {
  auto result = call_raw(operation, params, stats);
  if (!result.ok()) return std::move(result).error();
  if (result->error) {
    Error e = result->error->to_error();
    e.message = model_.metadata().endpoint_prefix + " " + std::string(operation) + ": " + e.message;
    return e;
  }
  return std::move(result->output);
}

}  // namespace ghscale::aws
