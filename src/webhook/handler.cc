#include "webhook/handler.h"

#include <chrono>
#include <utility>

#include "core/log.h"
#include "webhook/delivery.h"

namespace ghscale::webhook {
namespace {

// Longer than any event name the metrics know: the cut keeps an unknown one unknown.
constexpr std::size_t kMaxCountedEventBytes = 64;

http::Response status_body(int status, std::string_view text) {
  std::string body = "{\"status\":\"";
  body += text;  // always one of our own constant words
  body += "\"}";
  return http::Response::json(status, std::move(body));
}

}  // namespace

// What one request came to, for the metrics. The event is kept (not viewed) because an
// asynchronous delivery is counted after its request is gone; anything longer than a
// known event name counts as "other" whole, so the cut changes no series.
struct Handler::Outcome {
  std::string event;
  std::string action;
  DeliveryResult result = DeliveryResult::kBadRequest;
};

// A delivery whose write is in the sink's hands: what the answer needs once it completes.
struct Handler::AsyncDelivery {
  JobEvent job;
  Outcome outcome;
  std::chrono::steady_clock::time_point start;
  Respond respond;
};

Result<std::unique_ptr<Handler>> Handler::create(HandlerConfig config, std::shared_ptr<const Clock> clock,
                                                 std::shared_ptr<EventSink> sink, std::shared_ptr<Waker> waker) {
  if (config.path.empty() || config.path.front() != '/') {
    return make_error(ErrorKind::kInvalid, "webhook path must start with '/'");
  }
  bool has_secret = false;
  for (const auto& s : config.secrets) has_secret = has_secret || !s.empty();
  if (!has_secret) return make_error(ErrorKind::kInvalid, "webhook needs at least one non-empty secret");
  if (config.max_body_bytes == 0) return make_error(ErrorKind::kInvalid, "webhook max body bytes must be positive");
  if (!clock || !sink) return make_error(ErrorKind::kInvalid, "webhook handler needs a clock and a sink");
  return std::unique_ptr<Handler>(new Handler(std::move(config), std::move(clock), std::move(sink), std::move(waker)));
}

Handler::Handler(HandlerConfig config, std::shared_ptr<const Clock> clock, std::shared_ptr<EventSink> sink,
                 std::shared_ptr<Waker> waker)
    : config_(std::move(config)),
      verifier_(config_.secrets),
      clock_(std::move(clock)),
      sink_(std::move(sink)),
      waker_(std::move(waker)) {}

bool Handler::ready() { return sink_->ready(); }

void Handler::count(const Outcome& outcome, std::chrono::steady_clock::time_point start) {
  metrics_.count_delivery(outcome.event, outcome.action, outcome.result);
  metrics_.observe_latency(std::chrono::steady_clock::now() - start);
}

http::Response Handler::handle(const http::Request& request) {
  // Latency is a measurement, not logic, so it reads the steady clock rather than clock_.
  const auto start = std::chrono::steady_clock::now();
  Outcome outcome;
  std::optional<JobEvent> job;
  std::optional<http::Response> answer = check_delivery(request, outcome, job);
  if (!answer) answer = after_record(*job, sink_->record(*job), outcome);
  count(outcome, start);
  return std::move(*answer);
}

void Handler::handle_async(http::Request&& request, Respond respond) {
  const auto start = std::chrono::steady_clock::now();
  auto delivery = std::make_shared<AsyncDelivery>();
  std::optional<JobEvent> job;
  {
    // Released here, before the write: the job event holds all the store needs.
    const http::Request req = std::move(request);
    if (std::optional<http::Response> answer = check_delivery(req, delivery->outcome, job)) {
      count(delivery->outcome, start);
      respond(std::move(*answer));
      return;
    }
  }
  delivery->job = std::move(*job);
  delivery->start = start;
  delivery->respond = std::move(respond);
  AsyncDelivery& d = *delivery;
  // The completion holds the delivery (and so the event the sink reads) until it runs.
  sink_->record_async(d.job, [this, delivery = std::move(delivery)](Result<RecordOutcome> recorded) {
    http::Response answer = after_record(delivery->job, recorded, delivery->outcome);
    count(delivery->outcome, delivery->start);
    delivery->respond(std::move(answer));
  });
}

std::optional<http::Response> Handler::check_delivery(const http::Request& request, Outcome& outcome,
                                                      std::optional<JobEvent>& job) {
  outcome.event = std::string(request.headers.get(kEventHeader).substr(0, kMaxCountedEventBytes + 1));
  if (request.path() != config_.path) {
    outcome.result = DeliveryResult::kNotFound;
    return http::Response::error(404, "not found");
  }
  if (request.method != "POST") {
    outcome.result = DeliveryResult::kMethodNotAllowed;
    http::Response r = http::Response::error(405, "method not allowed; use POST");
    r.headers.set("Allow", "POST");
    return r;
  }
  // Before the signature: hashing an oversized body from an unauthenticated sender is
  // work we need not do, and the limit reveals nothing.
  if (request.body.size() > config_.max_body_bytes) {
    outcome.result = DeliveryResult::kTooLarge;
    return http::Response::error(413, "body larger than " + std::to_string(config_.max_body_bytes) + " bytes");
  }
  const std::string* signature = request.headers.find(kSignature256Header);
  if (signature == nullptr) {
    outcome.result = DeliveryResult::kUnauthorized;
    const bool sha1_only = request.headers.find(kSignatureSha1Header) != nullptr;
    metrics_.count_signature_failure(sha1_only ? SignatureFailure::kSha1Only : SignatureFailure::kMissing);
    return http::Response::error(401, sha1_only
                                          ? "X-Hub-Signature (SHA-1) is not accepted; X-Hub-Signature-256 is required"
                                          : "missing X-Hub-Signature-256");
  }
  if (!verifier_.verify(*signature, request.body)) {
    outcome.result = DeliveryResult::kUnauthorized;
    metrics_.count_signature_failure(SignatureFailure::kMismatch);
    return http::Response::error(401, "X-Hub-Signature-256 does not match");
  }

  const std::optional<BodyFormat> format = parse_content_type(request.headers.get(kContentTypeHeader));
  if (!format) {
    outcome.result = DeliveryResult::kUnsupportedMediaType;
    return http::Response::error(415, "content type must be application/json or application/x-www-form-urlencoded");
  }
  Result<Delivery> parsed = parse_delivery(request.headers, *format, request.body, clock_->now());
  if (!parsed) {
    outcome.result = DeliveryResult::kBadRequest;
    return http::Response::error(400, parsed.error().message);
  }
  Delivery& delivery = *parsed;
  outcome.action = delivery.action;

  if (delivery.event == "ping") {
    outcome.result = DeliveryResult::kPong;
    return http::Response::json(200, "{\"hook_id\":" + std::to_string(delivery.hook_id) + "}");
  }
  if (!delivery.job) {
    outcome.result = DeliveryResult::kIgnored;
    return status_body(202, "ignored");
  }
  if (!sink_->ready()) {
    outcome.result = DeliveryResult::kUnavailable;
    return http::Response::error(503, "event store not ready; redeliver later");
  }
  job = std::move(delivery.job);
  return std::nullopt;
}

http::Response Handler::after_record(const JobEvent& job, const Result<RecordOutcome>& recorded, Outcome& outcome) {
  if (!recorded) {
    outcome.result = DeliveryResult::kUnavailable;
    log::warn("webhook: could not record delivery",
              {{"delivery", job.delivery_id}, {"job_id", job.job_id}, {"error", recorded.error().describe()}});
    return http::Response::error(503, "could not record the delivery; redeliver later");
  }
  if (*recorded == RecordOutcome::kDuplicate) {
    outcome.result = DeliveryResult::kDuplicate;
    return status_body(200, "duplicate");
  }
  outcome.result = DeliveryResult::kRecorded;
  if (waker_) waker_->wake(job);
  if (log::enabled(log::Level::kDebug)) {
    log::debug("webhook: recorded", {{"delivery", job.delivery_id},
                                     {"action", job.action},
                                     {"job_id", job.job_id},
                                     {"repository", job.repository}});
  }
  return status_body(200, "recorded");
}

}  // namespace ghscale::webhook
