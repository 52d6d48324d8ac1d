// Runs every case of AWS's SigV4 test suite (aws-c-auth's v4 cases, read in place from
// the shared testdata): canonical request, string to sign, signature and the signed
// request, for both header signing and presigned URLs.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "aws/encoding.h"
#include "aws/sigv4.h"
#include "aws/timestamp.h"
#include "support/testdata.h"

namespace ghscale::aws {
namespace {

namespace fs = std::filesystem;
using ghscale::testing::read_file;

// request.txt as written: the raw request line, raw header lines (folded lines kept) and
// the body, plus the Request they describe.
struct RawRequest {
  std::string method;
  std::string target;
  std::string header_text;  // every header line, each ending in '\n'
  std::string body;
  Request request;
};

RawRequest parse_request(const std::string& text) {
  RawRequest raw;
  std::string head = text;
  if (const size_t split = text.find("\n\n"); split != std::string::npos) {
    head = text.substr(0, split + 1);
    raw.body = text.substr(split + 2);
  }
  const size_t line_end = head.find('\n');
  const std::string request_line = head.substr(0, line_end);
  raw.header_text = line_end == std::string::npos ? "" : head.substr(line_end + 1);
  if (!raw.header_text.empty() && raw.header_text.back() != '\n') raw.header_text.push_back('\n');

  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = request_line.rfind(' ');
  raw.method = request_line.substr(0, sp1);
  raw.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);

  Request& req = raw.request;
  req.method = raw.method;
  const size_t qmark = raw.target.find('?');
  req.path = percent_decode(raw.target.substr(0, qmark));
  if (qmark != std::string::npos) {
    std::string_view query = std::string_view(raw.target).substr(qmark + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const size_t eq = pair.find('=');
      req.query.push_back(QueryParam{percent_decode(pair.substr(0, eq)),
                                     eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1))});
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  size_t pos = 0;
  while (pos < raw.header_text.size()) {
    size_t end = raw.header_text.find('\n', pos);
    const std::string line = raw.header_text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !req.headers.empty()) {
      req.headers.back().value += "\n" + line;  // obs-fold continuation
      continue;
    }
    const size_t colon = line.find(':');
    req.headers.push_back(HttpHeader{line.substr(0, colon), line.substr(colon + 1)});
  }
  req.body = raw.body;
  return raw;
}

struct Context {
  Credentials credentials;
  SigningOptions options;
  TimePoint timestamp;
  std::chrono::seconds expires{0};
};

Context parse_context(const std::string& text) {
  const boost::json::object ctx = boost::json::parse(text).as_object();
  const auto& creds = ctx.at("credentials").as_object();
  Context out;
  out.credentials.access_key_id = creds.at("access_key_id").as_string().c_str();
  out.credentials.secret_access_key = creds.at("secret_access_key").as_string().c_str();
  if (creds.contains("token")) out.credentials.session_token = creds.at("token").as_string().c_str();
  out.options.region = ctx.at("region").as_string().c_str();
  out.options.service = ctx.at("service").as_string().c_str();
  out.options.normalize_path = ctx.at("normalize").as_bool();
  out.options.sign_body = ctx.at("sign_body").as_bool();
  if (ctx.contains("omit_session_token")) out.options.omit_session_token = ctx.at("omit_session_token").as_bool();
  out.timestamp = parse_iso8601(ctx.at("timestamp").as_string().c_str()).value();
  out.expires = std::chrono::seconds(ctx.at("expiration_in_seconds").to_number<int64_t>());
  return out;
}

std::vector<fs::path> suite_cases(const fs::path& root) {
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(root / "aws-sigv4")) {
    if (entry.is_directory() && fs::exists(entry.path() / "request.txt")) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

TEST(SigV4Suite, HeaderSigningMatchesEveryCase) {
  GHSCALE_REQUIRE_TESTDATA(root);
  const auto cases = suite_cases(root);
  ASSERT_EQ(cases.size(), 38u);
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.filename().string());
    const Context ctx = parse_context(read_file(dir / "context.json"));
    RawRequest raw = parse_request(read_file(dir / "request.txt"));
    const size_t original_headers = raw.request.headers.size();

    const Signer signer(ctx.options);
    SigningTrace trace;
    ASSERT_TRUE(signer.sign(raw.request, ctx.credentials, ctx.timestamp, &trace).ok());
    EXPECT_EQ(trace.canonical_request, read_file(dir / "header-canonical-request.txt"));
    EXPECT_EQ(trace.string_to_sign, read_file(dir / "header-string-to-sign.txt"));
    EXPECT_EQ(trace.signature, read_file(dir / "header-signature.txt"));

    std::string signed_request = raw.method + " " + raw.target + " HTTP/1.1\n" + raw.header_text;
    for (size_t i = original_headers; i < raw.request.headers.size(); ++i) {
      signed_request += raw.request.headers[i].name + ":" + raw.request.headers[i].value + "\n";
    }
    signed_request += "\n" + raw.body;
    EXPECT_EQ(signed_request, read_file(dir / "header-signed-request.txt"));
  }
}

TEST(SigV4Suite, PresigningMatchesEveryCase) {
  GHSCALE_REQUIRE_TESTDATA(root);
  const auto cases = suite_cases(root);
  ASSERT_EQ(cases.size(), 38u);
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.filename().string());
    if (!fs::exists(dir / "query-signed-request.txt")) continue;
    const Context ctx = parse_context(read_file(dir / "context.json"));
    RawRequest raw = parse_request(read_file(dir / "request.txt"));
    const size_t original_params = raw.request.query.size();

    const Signer signer(ctx.options);
    SigningTrace trace;
    ASSERT_TRUE(signer.presign(raw.request, ctx.credentials, ctx.timestamp, ctx.expires, &trace).ok());
    EXPECT_EQ(trace.canonical_request, read_file(dir / "query-canonical-request.txt"));
    EXPECT_EQ(trace.string_to_sign, read_file(dir / "query-string-to-sign.txt"));
    EXPECT_EQ(trace.signature, read_file(dir / "query-signature.txt"));

    std::string target = raw.target;
    for (size_t i = original_params; i < raw.request.query.size(); ++i) {
      target += (target.find('?') == std::string::npos) ? "?" : "&";
      target += uri_encode(raw.request.query[i].name) + "=" + uri_encode(raw.request.query[i].value);
    }
    const std::string signed_request =
        raw.method + " " + target + " HTTP/1.1\n" + raw.header_text + "\n" + raw.body;
    EXPECT_EQ(signed_request, read_file(dir / "query-signed-request.txt"));
  }
}

}  // namespace
}  // namespace ghscale::aws
