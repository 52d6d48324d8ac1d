// parse_requests(): the server's limits and framing rules over bytes in memory. The seed
// corpus of fuzz_http_request is a regression suite here: each file's name says what the
// server makes of it (make_fuzz_corpus.sh).
#include "http/request_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_limits.h"
#include "support/testdata.h"

namespace ghscale::http {
namespace {

namespace fs = std::filesystem;

// "ok" per request served, then the refusal's status ("cut" for none), joined with '+':
// the notation of the corpus file names.
std::string outcome(const ConnectionRead& read) {
  std::string out;
  for (std::size_t i = 0; i < read.requests.size(); ++i) out += i == 0 ? "ok" : "+ok";
  if (read.refusal) {
    if (!out.empty()) out += "+";
    out += read.refusal->status == 0 ? "cut" : std::to_string(read.refusal->status);
  }
  return out;
}

fs::path corpus_dir() {
  return ::ghscale::testing::source_dir() / "tests" / "http" / "fuzz_corpus";
}

std::string corpus_file(const std::string& name) {
  return ::ghscale::testing::read_file(corpus_dir() / name);
}

TEST(RequestReaderCorpus, EveryFileReadsAsItsNameSays) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(corpus_dir())) {
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    const auto dashes = name.find("--");
    ASSERT_NE(dashes, std::string::npos) << "corpus files are named EXPECTED--what";
    const ConnectionRead read = parse_requests(::ghscale::testing::read_file(entry.path()), kFuzzLimits);
    EXPECT_EQ(outcome(read), name.substr(0, dashes));
    if (read.refusal) {
      EXPECT_EQ(read.refusal->reason.empty(), read.refusal->status == 0) << read.refusal->reason;
    }
    for (const auto& r : read.requests) EXPECT_LE(r.request.body.size(), kFuzzLimits.max_body_bytes);
    ++files;
  }
  EXPECT_GE(files, 50);
}

TEST(RequestReaderCorpus, ChunkedDeliveryReadsAsTheSameDeliveryWithContentLength) {
  const ConnectionRead plain = parse_requests(corpus_file("ok--signed_json_content_length"), kFuzzLimits);
  const ConnectionRead chunked = parse_requests(corpus_file("ok--signed_json_chunked"), kFuzzLimits);
  ASSERT_EQ(plain.requests.size(), 1u);
  ASSERT_EQ(chunked.requests.size(), 1u);
  const Request& a = plain.requests[0].request;
  const Request& b = chunked.requests[0].request;
  EXPECT_EQ(b.method, "POST");
  EXPECT_EQ(b.target, "/webhook");
  EXPECT_EQ(b.body, a.body);
  EXPECT_GT(b.body.size(), 256u);  // spans two chunks
  EXPECT_EQ(b.headers.get("x-hub-signature-256"), a.headers.get("X-Hub-Signature-256"));
  EXPECT_EQ(b.headers.get("X-GitHub-Event"), "workflow_job");
  EXPECT_EQ(b.headers.get("Transfer-Encoding"), "chunked");
  EXPECT_TRUE(b.remote_address.empty());
}

TEST(RequestReaderCorpus, PipelinedRequestsAreReadInOrder) {
  const ConnectionRead read = parse_requests(corpus_file("ok+ok--pipelined_delivery_and_get"), kFuzzLimits);
  ASSERT_EQ(read.requests.size(), 2u);
  EXPECT_EQ(read.requests[0].request.method, "POST");
  EXPECT_EQ(read.requests[1].request.target, "/healthz");
  EXPECT_FALSE(read.refusal.has_value());
}

const std::string kChunkedHead = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST(RequestReader, ChunkExtensionsUpTo256BytesAreRead) {
  // Beast hands the extensions over with their leading ';'.
  const std::string at_limit = ";" + std::string(255, 'x');
  auto read = parse_requests(kChunkedHead + "5" + at_limit + "\r\nhello\r\n0\r\n\r\n", kFuzzLimits);
  EXPECT_EQ(outcome(read), "ok");
  read = parse_requests(kChunkedHead + "5" + at_limit + "x\r\nhello\r\n0\r\n\r\n", kFuzzLimits);
  ASSERT_EQ(outcome(read), "400");
  EXPECT_EQ(read.refusal->reason, "malformed request");
}

TEST(RequestReader, ChunkHeaderLongerThanTheReadBufferIsRefusedAsSuch) {
  // The read buffer holds the header limit plus 8 KiB: a chunk header that does not end
  // within it is refused however much more the client would send.
  const RequestLimits limits{.max_header_bytes = 1024, .max_body_bytes = 4096};
  auto read = parse_requests(kChunkedHead + "1;" + std::string(1024 + 8 * 1024, 'e'), limits);
  ASSERT_EQ(outcome(read), "400");
  EXPECT_EQ(read.refusal->reason, "chunk header or trailer section too large");
}

TEST(RequestReader, TrailerFieldsAreRefused) {
  auto read = parse_requests(kChunkedHead + "5\r\nhello\r\n0\r\nX-Late: 1\r\n\r\n", kFuzzLimits);
  ASSERT_EQ(outcome(read), "400");
  EXPECT_EQ(read.refusal->reason, "trailer fields are not accepted");
}

TEST(RequestReader, FramingRefusalsSayWhy) {
  const std::string post = "POST / HTTP/1.1\r\nHost: x\r\n";
  auto read = parse_requests(post + "Transfer-Encoding: gzip\r\n\r\nhello", kFuzzLimits);
  ASSERT_TRUE(read.refusal);
  EXPECT_EQ(read.refusal->reason, "unsupported Transfer-Encoding (only a single chunked is accepted)");
  // Beast itself refuses chunked with Content-Length, in either order.
  for (const std::string fields :
       {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"}) {
    EXPECT_EQ(outcome(parse_requests(post + fields + "\r\n5\r\nhello\r\n0\r\n\r\n", kFuzzLimits)), "400") << fields;
  }
  read = parse_requests("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", kFuzzLimits);
  ASSERT_TRUE(read.refusal);
  EXPECT_EQ(read.refusal->reason, "Transfer-Encoding in an HTTP/1.0 request");
}

TEST(RequestReader, BodiesAreCountedAgainstTheBudgetBeforeTheyAreRead) {
  RequestLimits limits = kFuzzLimits;
  limits.body_budget = 100;
  const auto post = [](std::size_t length) {
    return "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n" +
           std::string(length, 'b');
  };
  EXPECT_EQ(outcome(parse_requests(post(100), limits)), "ok");
  auto read = parse_requests(post(101), limits);
  ASSERT_EQ(outcome(read), "503");
  EXPECT_EQ(read.refusal->reason, "too many request bodies in flight");
  // Chunk by chunk: 60 fit, 60 more do not.
  const std::string chunk(0x3c, 'c');
  EXPECT_EQ(outcome(parse_requests(kChunkedHead + "3c\r\n" + chunk + "\r\n0\r\n\r\n", limits)), "ok");
  EXPECT_EQ(outcome(parse_requests(kChunkedHead + "3c\r\n" + chunk + "\r\n3c\r\n" + chunk + "\r\n0\r\n\r\n", limits)),
            "503");
  // The server gives a request's bytes back once it has answered it.
  EXPECT_EQ(outcome(parse_requests(post(80) + post(80), limits)), "ok+ok");
}

TEST(RequestReader, SaysHowToAnswer) {
  auto read = parse_requests(
      "HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"
      "GET /c HTTP/1.0\r\n\r\n"
      "GET /never HTTP/1.1\r\nHost: x\r\n\r\n",
      kFuzzLimits);
  ASSERT_EQ(outcome(read), "ok+ok+ok");  // HTTP/1.0 without keep-alive ends the connection
  EXPECT_TRUE(read.requests[0].head);
  EXPECT_TRUE(read.requests[0].keep_alive);
  EXPECT_FALSE(read.requests[0].expects_continue);
  EXPECT_FALSE(read.requests[1].head);
  EXPECT_TRUE(read.requests[1].expects_continue);
  EXPECT_EQ(read.requests[1].request.body, "hi");
  EXPECT_EQ(read.requests[2].version, 10u);
  EXPECT_FALSE(read.requests[2].keep_alive);
}

TEST(RequestReader, NoBytesIsACleanEnd) {
  const ConnectionRead read = parse_requests("", kFuzzLimits);
  EXPECT_TRUE(read.requests.empty());
  EXPECT_FALSE(read.refusal.has_value());
}

}  // namespace
}  // namespace ghscale::http
