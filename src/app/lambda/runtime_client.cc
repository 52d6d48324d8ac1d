#include "app/lambda/runtime_client.h"

#include <cstdlib>
#include <thread>

#include "core/log.h"

namespace ghscale::app::lambda {
namespace {

using namespace std::chrono_literals;

// No timeout on the wait for an event, as the Runtime API asks; a day stands for "none"
// because curl needs a number.
constexpr Duration kNextTimeout = 24h;

std::string error_body(const Error& error, const std::string& type) {
  std::string out = "{\"errorMessage\":";
  log::append_json_string(out, log::redact(error.message));
  out += ",\"errorType\":";
  log::append_json_string(out, type);
  out += "}";
  return out;
}

}  // namespace

std::string error_type(const Error& error) { return "ghscale." + std::string(to_string(error.kind)); }

RuntimeClient::RuntimeClient(std::string api, std::shared_ptr<http::Client> http)
    : base_("http://" + std::move(api) + "/2018-06-01/runtime"), http_(std::move(http)) {}

Result<Invocation> RuntimeClient::next() {
  http::ClientRequest req;
  req.method = "GET";
  req.url = base_ + "/invocation/next";
  req.timeout = kNextTimeout;
  auto res = http_->send(req);
  if (!res) return res.error();
  if (res->status != 200) {
    return make_error(ErrorKind::kRetryable, "runtime API: next invocation answered " + std::to_string(res->status));
  }
  Invocation inv;
  inv.request_id = std::string(res->headers.get("Lambda-Runtime-Aws-Request-Id"));
  if (inv.request_id.empty()) return make_error(ErrorKind::kRetryable, "runtime API: next invocation without a request id");
  const std::string deadline(res->headers.get("Lambda-Runtime-Deadline-Ms"));
  inv.deadline_ms = std::strtoll(deadline.c_str(), nullptr, 10);
  inv.function_arn = std::string(res->headers.get("Lambda-Runtime-Invoked-Function-Arn"));
  inv.trace_id = std::string(res->headers.get("Lambda-Runtime-Trace-Id"));
  inv.payload = std::move(res->body);
  return inv;
}

Status RuntimeClient::post(const std::string& path, const std::string& body, const std::string& type) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = base_ + path;
  req.body = body;
  req.headers.set("Content-Type", "application/json");
  if (!type.empty()) req.headers.set("Lambda-Runtime-Function-Error-Type", type);
  auto res = http_->send(req);
  if (!res) return res.error();
  if (res->status / 100 != 2) {
    return make_error(res->status == 413 ? ErrorKind::kInvalid : ErrorKind::kRetryable,
                      "runtime API: POST " + path + " answered " + std::to_string(res->status));
  }
  return {};
}

Status RuntimeClient::respond(const std::string& request_id, const std::string& body) {
  return post("/invocation/" + request_id + "/response", body);
}

Status RuntimeClient::fail(const std::string& request_id, const Error& error) {
  const std::string type = error_type(error);
  return post("/invocation/" + request_id + "/error", error_body(error, type), type);
}

Status RuntimeClient::init_error(const Error& error) {
  const std::string type = error_type(error);
  return post("/init/error", error_body(error, type), type);
}

int run_loop(RuntimeClient& runtime, const Function& function, int max_failures) {
  int failures = 0;
  while (true) {
    auto inv = runtime.next();
    if (!inv) {
      if (++failures >= max_failures) {
        log::error("the Lambda Runtime API is unreachable; exiting", {{"error", inv.error().describe()}});
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * failures));
      continue;
    }
    failures = 0;
    if (inv->trace_id.empty()) {
      ::unsetenv("_X_AMZN_TRACE_ID");
    } else {
      ::setenv("_X_AMZN_TRACE_ID", inv->trace_id.c_str(), 1);
    }
    auto out = function(*inv);
    Status sent = out ? runtime.respond(inv->request_id, *out) : runtime.fail(inv->request_id, out.error());
    if (!out) {
      log::warn("invocation failed", {{"request_id", inv->request_id}, {"error", out.error().describe()}});
    }
    if (!sent.ok()) {
      // A response too large (413) is reported as the invocation's error instead.
      if (out && sent.error().kind == ErrorKind::kInvalid) (void)runtime.fail(inv->request_id, sent.error());
      log::warn("cannot report the invocation's outcome", {{"request_id", inv->request_id}, {"error", sent.error().describe()}});
    }
  }
}

}  // namespace ghscale::app::lambda
