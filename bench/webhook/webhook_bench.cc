// Webhook ingest cost per delivery: the real queued example from the shared testdata
// (GHSCALE_TESTDATA overrides the path), signed, through the handler into a MemorySink.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "webhook/delivery.h"
#include "webhook/handler.h"
#include "webhook/memory_sink.h"
#include "webhook/signature.h"

namespace {

using namespace ghscale;
using namespace ghscale::webhook;

constexpr char kSecret[] = "bench-webhook-secret";

// Used only when the testdata is absent, so the benchmark still runs.
constexpr char kFallbackBody[] =
    R"({"action":"queued","workflow_job":{"id":29679449,"run_id":1234,"run_attempt":1,"status":"queued",)"
    R"("labels":["self-hosted","linux"],"created_at":"2024-01-02T03:04:05Z"},"repository":{"full_name":"a/b"}})";

std::string queued_example() {
  std::filesystem::path dir = GHSCALE_TESTDATA_DEFAULT;
  if (const char* env = std::getenv("GHSCALE_TESTDATA"); env != nullptr && *env != '\0') dir = env;
  std::ifstream in(dir / "github" / "webhook-examples.json", std::ios::binary);
  if (!in) {
    std::cerr << "webhook_bench: shared testdata absent; using a small synthetic payload\n";
    return kFallbackBody;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const boost::json::value root = boost::json::parse(ss.str());
  for (const auto& group : root.as_array()) {
    if (group.at("name") != "workflow_job") continue;
    for (const auto& ex : group.at("examples").as_array()) {
      if (ex.at("action") == "queued") return boost::json::serialize(ex);
    }
  }
  return kFallbackBody;
}

const std::string& body() {
  static const std::string b = queued_example();
  return b;
}

http::Request signed_request() {
  http::Request r;
  r.method = "POST";
  r.target = "/webhook";
  r.headers.add("User-Agent", "GitHub-Hookshot/044aadd");
  r.headers.add("Content-Type", "application/json");
  r.headers.add("X-GitHub-Event", "workflow_job");
  r.headers.add("X-GitHub-Delivery", "d-0");
  r.headers.add("X-GitHub-Hook-ID", "292430182");
  r.headers.add("X-Hub-Signature-256", sign(kSecret, body()));
  r.body = body();
  return r;
}

std::unique_ptr<Handler> make_handler(std::shared_ptr<MemorySink> sink) {
  HandlerConfig c;
  c.secrets = {kSecret};
  return std::move(Handler::create(c, system_clock(), std::move(sink)).value());
}

// verify + parse + record, a new delivery id each time.
void BM_HandleQueued(benchmark::State& state) {
  auto sink = std::make_shared<MemorySink>();
  auto handler = make_handler(sink);
  http::Request req = signed_request();
  std::uint64_t n = 0;
  for (auto _ : state) {
    req.headers.set("X-GitHub-Delivery", "d-" + std::to_string(++n));
    http::Response r = handler->handle(req);
    if (r.status != 200) state.SkipWithError("delivery refused");
    benchmark::DoNotOptimize(r);
    if (n % 8192 == 0) sink->clear();  // bound memory; amortised into the figure
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body().size()));
  state.counters["body_bytes"] = static_cast<double>(body().size());
}
BENCHMARK(BM_HandleQueued);

// A redelivery: verify + parse + dedupe.
void BM_HandleDuplicate(benchmark::State& state) {
  auto sink = std::make_shared<MemorySink>();
  auto handler = make_handler(sink);
  http::Request req = signed_request();
  for (auto _ : state) benchmark::DoNotOptimize(handler->handle(req));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body().size()));
}
BENCHMARK(BM_HandleDuplicate);

void BM_VerifySignature(benchmark::State& state) {
  SignatureVerifier verifier({kSecret});
  const std::string header = sign(kSecret, body());
  for (auto _ : state) benchmark::DoNotOptimize(verifier.verify(header, body()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body().size()));
}
BENCHMARK(BM_VerifySignature);

void BM_ParseDelivery(benchmark::State& state) {
  const http::Request req = signed_request();
  const TimePoint now = system_clock()->now();
  for (auto _ : state) benchmark::DoNotOptimize(parse_delivery(req.headers, BodyFormat::kJson, req.body, now));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body().size()));
}
BENCHMARK(BM_ParseDelivery);

}  // namespace

BENCHMARK_MAIN();
