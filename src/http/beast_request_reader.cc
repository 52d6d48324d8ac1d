#include "http/beast_request_reader.h"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <iterator>
#include <string>
#include <utility>

namespace ghscale::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using Header = RequestReader::Parser::value_type;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9112 6.1 and 6.3: a request whose framing we cannot be sure of must be refused
// and its connection closed, never read as if it had no body. The one transfer coding
// accepted is a single `chunked` (no stacked or unknown codings, no HTTP/1.0 chunking),
// and never together with Content-Length (the classic request-smuggling shape).
std::optional<std::string_view> framing_error(const Header& h) {
  auto [first, last] = h.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return std::nullopt;
  if (std::next(first) != last || !iequals(trim(first->value()), "chunked")) {
    return "unsupported Transfer-Encoding (only a single chunked is accepted)";
  }
  if (h.count(bhttp::field::content_length) != 0) return "both Content-Length and Transfer-Encoding";
  if (h.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
  return std::nullopt;
}

std::size_t count_fields(const Header& h) {
  return static_cast<std::size_t>(std::distance(h.begin(), h.end()));
}

// Errors where there is nobody left to answer, or nothing wrong with the request.
bool quiet(const beast::error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == bhttp::error::end_of_stream ||
         ec == asio::error::eof || ec == bhttp::error::partial_message || ec == asio::error::connection_reset;
}

Refusal refuse(int status, std::string reason) {
  return Refusal{status, std::move(reason)};
}

Refusal budget_refusal() {
  return refuse(503, "too many request bodies in flight");
}

}  // namespace

RequestReader::RequestReader(const RequestLimits& limits, ReserveBody reserve_body)
    : reserve_body_(std::move(reserve_body)),
      chunk_callback_([this](std::uint64_t size, beast::string_view extensions, beast::error_code& ec) {
        on_chunk_header(size, extensions, ec);
      }) {
  parser_.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser_.body_limit(limits.max_body_bytes);
  // Chunk headers are parsed only while the body is read, after after_header().
  parser_.on_chunk_header(chunk_callback_);
}

std::optional<Refusal> RequestReader::after_header(const beast::error_code& ec) {
  if (ec) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      return refuse(431, "request header too large");
    }
    if (ec == bhttp::error::body_limit) return refuse(413, "request body too large");
    if (quiet(ec)) return Refusal{};
    return refuse(400, "malformed request");
  }
  if (auto why = framing_error(parser_.get())) return refuse(400, std::string(*why));
  // A body stays in memory until the handler has answered: it is counted against the
  // in-flight budget before it is read (chunk by chunk when chunked).
  if (auto length = parser_.content_length(); length && *length > 0) {
    if (!reserve_body_(static_cast<std::size_t>(*length))) return budget_refusal();
  }
  header_fields_ = count_fields(parser_.get());
  return std::nullopt;
}

bool RequestReader::expects_continue() const {
  return parser_.get()[bhttp::field::expect] == "100-continue";
}

void RequestReader::on_chunk_header(std::uint64_t size, beast::string_view extensions, beast::error_code& ec) {
  if (extensions.size() > kMaxChunkExtensionBytes) {
    ec = bhttp::error::bad_chunk_extension;
  } else if (size > 0 && !reserve_body_(static_cast<std::size_t>(size))) {
    over_budget_ = true;
    ec = bhttp::error::body_limit;
  }
}

std::optional<Refusal> RequestReader::after_body(const beast::error_code& ec) {
  if (ec) {
    if (over_budget_) return budget_refusal();
    if (ec == bhttp::error::body_limit) return refuse(413, "request body too large");
    if (ec == bhttp::error::buffer_overflow) return refuse(400, "chunk header or trailer section too large");
    if (quiet(ec)) return Refusal{};
    return refuse(400, "malformed request");
  }
  // Beast merges trailer fields into the header; a field that arrives after the body
  // could then pass for one that was signed for. Nobody we serve sends trailers.
  if (count_fields(parser_.get()) != header_fields_) return refuse(400, "trailer fields are not accepted");
  return std::nullopt;
}

ParsedRequest RequestReader::release() {
  ParsedRequest out;
  out.expects_continue = expects_continue();
  auto req = parser_.release();
  out.version = req.version();
  out.head = req.method() == bhttp::verb::head;
  out.keep_alive = req.keep_alive();
  Request& request = out.request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  request.headers.items.reserve(16);
  for (const auto& f : req) request.headers.add(std::string(f.name_string()), std::string(f.value()));
  request.body = std::move(req.body());
  return out;
}

}  // namespace ghscale::http
