// Reading HTTP/1.1 requests with every limit and framing rule the server applies, from
// bytes already in memory: what the server would hand its handler, and where and why it
// would stop. The server's sessions apply the same rules to their sockets (one
// implementation, beast_request_reader.h); this form lets tests and the fuzz target reach
// them without a socket. No Beast types here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace ghscale::http {

// The server's limits on one request (ServerOptions has the defaults).
struct RequestLimits {
  std::size_t max_header_bytes = 0;  // larger: 431
  std::size_t max_body_bytes = 0;    // larger: 413
  // Bytes of body the request may hold while it is read, as the server's in-flight body
  // budget would allow (declared Content-Length, or each chunk's size); beyond it: 503.
  std::size_t body_budget = std::numeric_limits<std::size_t>::max();
};

// A request the server will not serve. It answers `status` (400, 413, 431 or 503) and
// closes the connection; status 0 means it closes without an answer, because the bytes
// ended within a request or the peer went away.
struct Refusal {
  int status = 0;
  std::string reason;
};

// A request read whole, as the server hands it to its handler, and how to answer it.
struct ParsedRequest {
  Request request;  // remote_address empty
  unsigned version = 11;
  bool keep_alive = true;         // the connection may carry another request after it
  bool head = false;              // HEAD: answered with a GET's header and no body
  bool expects_continue = false;  // the server answers 100 Continue before reading the body
};

// What a connection that sent `bytes` and then closed its side would come to.
struct ConnectionRead {
  std::vector<ParsedRequest> requests;  // served in order
  // Why reading stopped before the bytes ran out cleanly (between two requests, or after
  // one that does not keep the connection alive); nullopt when it did not.
  std::optional<Refusal> refusal;
};

// Every request of `bytes`, pipelined ones included. Memory stays within the limits
// whatever the bytes: the header, one chunk header or trailer section and the body are
// bounded; nothing else of the input is copied.
ConnectionRead parse_requests(std::string_view bytes, const RequestLimits& limits);

}  // namespace ghscale::http
