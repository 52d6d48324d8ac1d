// The webhook endpoint as a function of an HTTP request: verify, parse, record, answer.
// It knows nothing of sockets, so the daemon's server and the Lambda host share it.
// A workflow_job delivery is answered 2xx only after the EventSink has stored it
// (invariant 1); a failed store answers 503 so GitHub shows the delivery as failed and
// it can be redelivered. Thread-safe: handle() and handle_async() may run on many
// threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "http/message.h"
#include "webhook/event_sink.h"
#include "webhook/metrics.h"
#include "webhook/signature.h"

namespace ghscale::webhook {

// GitHub caps payloads at 25 MB; anything larger is not from GitHub.
inline constexpr std::size_t kDefaultMaxBodyBytes = 25 * 1024 * 1024;

struct HandlerConfig {
  std::string path = "/webhook";
  // Every secret is accepted, so a new secret can be added before GitHub switches to it.
  std::vector<std::string> secrets;
  std::size_t max_body_bytes = kDefaultMaxBodyBytes;
};

class Handler {
 public:
  // kInvalid when no non-empty secret is given or the path does not start with '/'.
  // waker may be null.
  static Result<std::unique_ptr<Handler>> create(HandlerConfig config, std::shared_ptr<const Clock> clock,
                                                 std::shared_ptr<EventSink> sink, std::shared_ptr<Waker> waker = {});

  // 404 other paths; 405 (with Allow) other methods; 413 body over the limit; 401 missing,
  // SHA-1-only or wrong signature; 415 not JSON or form; 400 malformed; 200 ping
  // {"hook_id":N}; 200 workflow_job {"status":"recorded"|"duplicate"}; 503 store failure;
  // 202 {"status":"ignored"} for every other event or action.
  http::Response handle(const http::Request& request);
  // The same answers without waiting for the store: the request is checked and parsed
  // on the calling thread, the job event handed to the sink's record_async(), and
  // `respond` called exactly once with the answer: at once when no write is needed, else
  // from the sink's thread once the write is durable (or failed). The body is read in
  // place and the request is released before the write, so nothing of the body is copied
  // or kept while the store works.
  using Respond = std::function<void(http::Response)>;
  void handle_async(http::Request&& request, Respond respond);
  // True when the sink's writes do not hold the calling thread: handle_async() may then
  // run on a server's I/O threads.
  bool answers_without_blocking() const { return sink_->records_asynchronously(); }

  // The sink's readiness, for a readiness probe.
  bool ready();
  const std::string& path() const { return config_.path; }
  const HandlerMetrics& metrics() const { return metrics_; }
  // Appends this handler's series in the Prometheus text format.
  void append_metrics(std::string& out) const { metrics_.append_prometheus(out); }

 private:
  struct Outcome;
  struct AsyncDelivery;
  Handler(HandlerConfig config, std::shared_ptr<const Clock> clock, std::shared_ptr<EventSink> sink,
          std::shared_ptr<Waker> waker);
  // Everything before the write: the answer when there is nothing to record, else the
  // job event to record (in `job`).
  std::optional<http::Response> check_delivery(const http::Request& request, Outcome& outcome,
                                               std::optional<JobEvent>& job);
  // The answer once the sink has tried to record `job`.
  http::Response after_record(const JobEvent& job, const Result<RecordOutcome>& recorded, Outcome& outcome);
  void count(const Outcome& outcome, std::chrono::steady_clock::time_point start);

  // Constant after construction.
  const HandlerConfig config_;
  const SignatureVerifier verifier_;
  const std::shared_ptr<const Clock> clock_;
  const std::shared_ptr<EventSink> sink_;
  const std::shared_ptr<Waker> waker_;
  // Atomic counters.
  HandlerMetrics metrics_;
};

}  // namespace ghscale::webhook
