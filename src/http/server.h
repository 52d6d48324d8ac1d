// The HTTP/1.1 server of the daemon (Boost.Beast underneath, hidden here): keep-alive,
// a strand per connection, a deadline on every read and write, limits on header and body
// size and on concurrent connections, optional TLS, and graceful shutdown. Requests go
// to a transport-agnostic handler that may answer from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "http/message.h"

namespace ghscale::http {

using namespace std::chrono_literals;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = any free port; see Server::port()
  int threads = 1;
  std::size_t max_body_bytes = 25 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  int max_connections = 10000;
  Duration read_timeout = 10s;  // from a request's first byte to its last
  Duration idle_timeout = 75s;  // keep-alive wait for the next request
  Duration write_timeout = 10s;
  std::string tls_cert_file;  // both set = TLS
  std::string tls_key_file;
};

// Answers a request exactly once, from any thread.
using Responder = std::function<void(Response)>;
// The handler owns the request; it calls respond now or later.
using AsyncHandler = std::function<void(Request&&, Responder)>;
// Adapts a plain function for handlers that never block.
AsyncHandler make_sync_handler(std::function<Response(const Request&)> fn);

class Server {
 public:
  virtual ~Server() = default;

  // Binds and starts serving on its own threads. Errors: address in use, bad TLS files.
  static Result<std::unique_ptr<Server>> start(ServerOptions options, AsyncHandler handler);

  virtual std::uint16_t port() const = 0;
  // Stops accepting, lets in-flight requests finish (answered with Connection: close),
  // closes idle connections, and after `grace` cuts whatever is left. Blocks until the
  // server's threads have ended. Safe to call more than once.
  virtual void shutdown(Duration grace) = 0;
  virtual int active_connections() const = 0;
};

}  // namespace ghscale::http
