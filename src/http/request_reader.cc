#include "http/request_reader.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/system/system_error.hpp>

#include "http/beast_request_reader.h"

namespace ghscale::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

// A SyncReadStream over bytes in memory, ending with eof like a peer that closed its
// side. Beast's synchronous reads then run the very loop its asynchronous reads run on a
// socket: the same bounded buffer, the same errors.
class BytesStream {
 public:
  explicit BytesStream(std::string_view bytes) : rest_(bytes) {}

  bool exhausted() const { return rest_.empty(); }

  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, beast::error_code& ec) {
    if (rest_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    const std::size_t n = asio::buffer_copy(buffers, asio::buffer(rest_.data(), rest_.size()));
    rest_.remove_prefix(n);
    return n;
  }

  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    beast::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view rest_;
};

}  // namespace

ConnectionRead parse_requests(std::string_view bytes, const RequestLimits& limits) {
  ConnectionRead out;
  BytesStream stream(bytes);
  beast::flat_buffer buffer(read_buffer_bytes(limits));
  // As a session: the next request starts when bytes are left; none left is a clean end.
  while (buffer.size() > 0 || !stream.exhausted()) {
    // The budget is taken per request: the server gives it back once it has answered.
    std::size_t reserved = 0;
    RequestReader reader(limits, [&](std::size_t n) {
      if (n > limits.body_budget - reserved) return false;
      reserved += n;
      return true;
    });
    beast::error_code ec;
    bhttp::read_header(stream, buffer, reader.parser(), ec);
    if (auto refusal = reader.after_header(ec)) {
      out.refusal = std::move(*refusal);
      break;
    }
    bhttp::read(stream, buffer, reader.parser(), ec);
    if (auto refusal = reader.after_body(ec)) {
      out.refusal = std::move(*refusal);
      break;
    }
    out.requests.push_back(reader.release());
    if (!out.requests.back().keep_alive) break;
  }
  return out;
}

}  // namespace ghscale::http
