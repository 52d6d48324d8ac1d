// The rules the server applies while it reads one request, over a Beast parser and apart
// from how the bytes arrive: the server's sessions read with Beast's async_read_header
// and async_read from their sockets, parse_requests() with the synchronous forms from
// memory, and both ask this class what to make of each step. Internal to the http
// library: it needs the library's Beast configuration (BOOST_BEAST_USE_STD_STRING_VIEW).
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "http/request_reader.h"

namespace ghscale::http {

// The read buffer holds a request's header, then at most one chunk header or the
// trailer section; nothing bigger ever needs to sit in it whole. Bounding it is what
// stops a chunk header that never ends (`1;` and gigabytes without CRLF) from growing
// memory: Beast's body limit does not count chunk extensions or trailers.
inline constexpr std::size_t kReadBufferMargin = 8 * 1024;
// Chunk extensions carry nothing we use; a few hundred bytes is generous.
inline constexpr std::size_t kMaxChunkExtensionBytes = 256;

// The bound of a connection's read buffer (a beast::flat_buffer's maximum size).
inline std::size_t read_buffer_bytes(const RequestLimits& limits) {
  return limits.max_header_bytes + kReadBufferMargin;
}

// One request, read in two steps: the header (read_header into parser()), then the body
// (read into parser()). Not copyable or movable: the parser calls back into it.
class RequestReader {
 public:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  // Takes `bytes` of the in-flight body budget; false when they do not fit.
  using ReserveBody = std::function<bool(std::size_t bytes)>;

  RequestReader(const RequestLimits& limits, ReserveBody reserve_body);
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  Parser& parser() { return parser_; }

  // After reading the header, with the read's error: nullopt when the body may be read.
  // Refuses ambiguous framing and a declared body the budget cannot hold.
  std::optional<Refusal> after_header(const boost::beast::error_code& ec);
  // Whether the client waits for 100 Continue before sending the body.
  bool expects_continue() const;
  // After reading the body, with the read's error: nullopt when the request may be served.
  std::optional<Refusal> after_body(const boost::beast::error_code& ec);
  // The request, once after_body() has accepted it.
  ParsedRequest release();

 private:
  void on_chunk_header(std::uint64_t size, boost::beast::string_view extensions, boost::beast::error_code& ec);

  Parser parser_;
  ReserveBody reserve_body_;
  // The parser keeps a reference to its chunk callback: it lives as long as the parser.
  std::function<void(std::uint64_t, boost::beast::string_view, boost::beast::error_code&)> chunk_callback_;
  bool over_budget_ = false;
  std::size_t header_fields_ = 0;
};

}  // namespace ghscale::http
