// libFuzzer target over the raw bytes a client sends on a connection: read as the server
// reads them (parse_requests: header and body limits, the bounded read buffer, framing
// rules, chunk extensions, trailers, pipelining), and each request for the webhook path
// handed to the webhook handler, as the daemon's routes do. Built by the clang
// configuration only (tests/http/CMakeLists.txt); seeded by fuzz_corpus/.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/clock.h"
#include "fuzz_limits.h"
#include "http/request_reader.h"
#include "webhook/handler.h"
#include "webhook/memory_sink.h"

namespace {

using namespace ghscale;

constexpr char kSecret[] = "fuzz-secret";  // the corpus's signed deliveries use it

struct World {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<webhook::MemorySink> sink = std::make_shared<webhook::MemorySink>();
  std::unique_ptr<webhook::Handler> handler;
  World() {
    webhook::HandlerConfig c;
    c.secrets = {kSecret};
    c.max_body_bytes = http::kFuzzLimits.max_body_bytes;
    handler = std::move(webhook::Handler::create(c, clock, sink).value());
  }
};

bool refusal_status(int status) {
  return status == 0 || status == 400 || status == 413 || status == 431;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const http::ConnectionRead read = http::parse_requests(bytes, http::kFuzzLimits);

  // Bytes always come to something: a request served or a refusal (no budget here, so
  // never 503).
  if (size > 0 && read.requests.empty() && !read.refusal) __builtin_trap();
  if (read.refusal && !refusal_status(read.refusal->status)) __builtin_trap();
  for (const http::ParsedRequest& parsed : read.requests) {
    const http::Request& request = parsed.request;
    if (request.body.size() > http::kFuzzLimits.max_body_bytes) __builtin_trap();
    if (parsed.head != (request.method == "HEAD")) __builtin_trap();
    if (request.path() != world.handler->path()) continue;
    const http::Response response = world.handler->handle(request);
    if (response.status < 200 || response.status > 503) __builtin_trap();
  }
  if (world.sink->size() > 10000) world.sink->clear();  // bound memory over long runs
  return 0;
}
