// libFuzzer target over everything of the webhook path that reads untrusted bytes:
// signature header parsing and verification, form decoding, timestamp and delivery
// parsing, and the whole handler. Built by the clang configuration only:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/webhook/fuzz_webhook.cc src/webhook/*.cc src/http/message.cc src/core/clock.cc \
//     src/core/error.cc src/core/job.cc src/core/labels.cc src/core/log.cc \
//     -lboost_json -lcrypto -lspdlog -lfmt -o fuzz_webhook
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "webhook/delivery.h"
#include "webhook/form.h"
#include "webhook/handler.h"
#include "webhook/memory_sink.h"
#include "webhook/signature.h"
#include "webhook/timestamp.h"

namespace {

using namespace ghscale;
using namespace ghscale::webhook;

constexpr char kSecret[] = "fuzz-secret";

struct World {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<MemorySink> sink = std::make_shared<MemorySink>();
  std::unique_ptr<Handler> handler;
  World() {
    HandlerConfig c;
    c.secrets = {kSecret, "second-secret"};
    c.max_body_bytes = 64 * 1024;
    handler = std::move(Handler::create(c, clock, sink).value());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const unsigned mode = static_cast<unsigned char>(input[0]);
  std::string_view rest = input.substr(1);
  // The first line (up to '\n') is a header value, the rest the body.
  const std::size_t nl = rest.find('\n');
  const std::string_view header = rest.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);

  // Untrusted signature header against a body.
  (void)verify_signature({kSecret}, header, body);
  (void)parse_timestamp(header);
  (void)form_payload(body);

  http::Headers headers;
  headers.add("X-GitHub-Event", (mode & 1) != 0 ? "workflow_job" : "ping");
  headers.add("X-GitHub-Delivery", "fuzz-" + std::to_string(mode));
  if ((mode & 2) != 0) headers.add("X-GitHub-Hook-ID", std::string(header));
  const BodyFormat format = (mode & 4) != 0 ? BodyFormat::kForm : BodyFormat::kJson;
  (void)parse_delivery(headers, format, body, world.clock->now());

  // The whole handler with a valid signature, so fuzzed bodies reach the parser and sink.
  http::Request req;
  req.method = "POST";
  req.target = "/webhook";
  req.headers = headers;
  req.headers.add("Content-Type",
                  format == BodyFormat::kForm ? "application/x-www-form-urlencoded" : "application/json");
  req.headers.add("X-Hub-Signature-256", (mode & 8) != 0 ? std::string(header) : sign(kSecret, body));
  req.body = std::string(body);
  const http::Response r = world.handler->handle(req);
  if (r.status < 200 || r.status > 503) __builtin_trap();
  if (world.sink->size() > 10000) world.sink->clear();  // bound memory over long runs
  return 0;
}
