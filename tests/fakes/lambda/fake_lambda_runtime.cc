#include "fakes/lambda/fake_lambda_runtime.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "core/clock.h"
#include "http/server.h"

namespace ghscale::fakes {
namespace {

constexpr std::string_view kPrefix = "/2018-06-01/runtime/";
constexpr std::int64_t kFunctionTimeoutMs = 300000;

struct Event {
  std::string request_id;
  std::string payload;
  std::string trace_id;
};

}  // namespace

struct FakeLambdaRuntime::Impl {
  std::unique_ptr<http::Server> server;
  std::uint16_t port = 0;
  mutable std::mutex mu;
  std::condition_variable changed;
  std::deque<Event> queue;                          // guarded by mu
  std::deque<http::Responder> waiting;              // guarded by mu: /next calls held open
  std::map<std::string, bool> handed_out;           // guarded by mu: request id -> answered
  std::map<std::string, LambdaOutcome> outcomes;    // guarded by mu
  std::optional<LambdaOutcome> init_error;          // guarded by mu
  std::vector<std::string> rejections;              // guarded by mu
  int next_calls = 0;                               // guarded by mu
  int counter = 0;                                  // guarded by mu
  bool stopped = false;                             // guarded by mu

  static http::Response next_response(const Event& e) {
    http::Response r;
    r.status = 200;
    r.headers.set("Content-Type", "application/json");
    r.headers.set("Lambda-Runtime-Aws-Request-Id", e.request_id);
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    r.headers.set("Lambda-Runtime-Deadline-Ms", std::to_string(now_ms + kFunctionTimeoutMs));
    r.headers.set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:ghscale-test");
    if (!e.trace_id.empty()) r.headers.set("Lambda-Runtime-Trace-Id", e.trace_id);
    r.body = e.payload;
    return r;
  }

  // Called with mu held.
  http::Response reject(int status, std::string why) {
    rejections.push_back(why);
    changed.notify_all();
    return http::Response::error(status, why);
  }

  // Called with mu held: the error document must be {"errorMessage","errorType"} JSON.
  std::optional<LambdaOutcome> error_outcome(const http::Request& req, std::string& why) {
    LambdaOutcome o;
    o.error = true;
    o.body = req.body;
    o.error_type = std::string(req.headers.get("Lambda-Runtime-Function-Error-Type"));
    if (req.body.find("\"errorMessage\"") == std::string::npos || req.body.find("\"errorType\"") == std::string::npos) {
      why = "error body without errorMessage and errorType: " + req.body;
      return std::nullopt;
    }
    return o;
  }

  void handle(http::Request&& req, http::Responder respond) {
    std::unique_lock lock(mu);
    const std::string path(req.path());
    if (path.rfind(kPrefix, 0) != 0) return respond(reject(404, "unknown path " + path));
    const std::string rest = path.substr(kPrefix.size());
    if (stopped) return respond(http::Response::error(500, "the fake runtime is shut down"));
    if (rest == "invocation/next") {
      if (req.method != "GET") return respond(reject(405, "next with " + req.method));
      ++next_calls;
      if (!queue.empty()) {
        Event e = std::move(queue.front());
        queue.pop_front();
        handed_out[e.request_id] = false;
        return respond(next_response(e));
      }
      waiting.push_back(std::move(respond));
      return;
    }
    if (req.method != "POST") return respond(reject(405, req.method + " " + path));
    if (rest == "init/error") {
      std::string why;
      auto o = error_outcome(req, why);
      if (!o) return respond(reject(400, why));
      init_error = std::move(*o);
      changed.notify_all();
      return respond(http::Response::json(202, "{\"status\":\"OK\"}"));
    }
    const std::string inv = "invocation/";
    const auto slash = rest.find('/', inv.size());
    if (rest.rfind(inv, 0) != 0 || slash == std::string::npos) return respond(reject(404, "unknown path " + path));
    const std::string id = rest.substr(inv.size(), slash - inv.size());
    const std::string what = rest.substr(slash + 1);
    auto it = handed_out.find(id);
    if (it == handed_out.end()) return respond(reject(400, "unknown request id " + id));
    if (it->second) return respond(reject(400, "request id " + id + " already answered"));
    LambdaOutcome o;
    if (what == "response") {
      o.body = req.body;
    } else if (what == "error") {
      std::string why;
      auto e = error_outcome(req, why);
      if (!e) return respond(reject(400, why));
      o = std::move(*e);
    } else {
      return respond(reject(404, "unknown path " + path));
    }
    it->second = true;
    outcomes[id] = std::move(o);
    changed.notify_all();
    respond(http::Response::json(202, "{\"status\":\"OK\"}"));
  }
};

FakeLambdaRuntime::FakeLambdaRuntime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FakeLambdaRuntime::~FakeLambdaRuntime() { shutdown(); }

Result<std::unique_ptr<FakeLambdaRuntime>> FakeLambdaRuntime::start() {
  auto impl = std::make_unique<Impl>();
  Impl* raw = impl.get();
  http::ServerOptions so;
  so.address = "127.0.0.1";
  so.port = 0;
  so.threads = 2;
  so.idle_timeout = std::chrono::minutes(10);
  auto server = http::Server::start(so, [raw](http::Request&& req, http::Responder respond) {
    raw->handle(std::move(req), std::move(respond));
  });
  if (!server) return server.error();
  impl->server = std::move(*server);
  impl->port = impl->server->port();
  return std::unique_ptr<FakeLambdaRuntime>(new FakeLambdaRuntime(std::move(impl)));
}

std::string FakeLambdaRuntime::api() const { return "127.0.0.1:" + std::to_string(impl_->port); }

std::string FakeLambdaRuntime::enqueue(std::string payload, std::string trace_id) {
  std::unique_lock lock(impl_->mu);
  Event e{"req-" + std::to_string(++impl_->counter), std::move(payload), std::move(trace_id)};
  const std::string id = e.request_id;
  if (!impl_->waiting.empty()) {
    http::Responder r = std::move(impl_->waiting.front());
    impl_->waiting.pop_front();
    impl_->handed_out[id] = false;
    lock.unlock();
    r(Impl::next_response(e));
    return id;
  }
  impl_->queue.push_back(std::move(e));
  return id;
}

std::optional<LambdaOutcome> FakeLambdaRuntime::wait_for(const std::string& request_id,
                                                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  if (!impl_->changed.wait_for(lock, timeout, [&] { return impl_->outcomes.count(request_id) != 0; })) return std::nullopt;
  return impl_->outcomes.at(request_id);
}

std::optional<LambdaOutcome> FakeLambdaRuntime::wait_for_init_error(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  if (!impl_->changed.wait_for(lock, timeout, [&] { return impl_->init_error.has_value(); })) return std::nullopt;
  return impl_->init_error;
}

int FakeLambdaRuntime::next_calls() const {
  std::lock_guard lock(impl_->mu);
  return impl_->next_calls;
}

std::vector<std::string> FakeLambdaRuntime::rejections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->rejections;
}

void FakeLambdaRuntime::shutdown() {
  std::deque<http::Responder> waiting;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    waiting.swap(impl_->waiting);
  }
  for (auto& r : waiting) r(http::Response::error(500, "the fake runtime is shut down"));
  impl_->server->shutdown(std::chrono::seconds(1));
  // Destroyed, not just stopped: the listening socket closes, so a runtime's next call is
  // refused rather than left waiting in the accept queue.
  impl_->server.reset();
}

}  // namespace ghscale::fakes
