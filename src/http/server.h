// The HTTP/1.1 server of the daemon (Boost.Beast underneath, hidden here): keep-alive,
// a strand per connection, a deadline on every read and write, limits on header and body
// size, on the memory request bodies hold across connections, and on connections (in all
// and per remote address), optional TLS (1.2+, forward-secret AEAD suites only), and
// graceful shutdown. It faces the open internet: nothing a client sends before being
// authenticated may grow memory beyond these limits. Requests go to a transport-agnostic
// handler that may answer from any thread.
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
  // workflow_job payloads are 10-30 KB; GitHub's 25 MiB cap is for other events.
  std::size_t max_body_bytes = 1024 * 1024;  // larger: 413
  std::size_t max_header_bytes = 16 * 1024;  // larger: 431
  // Request bodies held in memory across all connections, from their header until the
  // handler answers; a request that would exceed it gets 503 with Retry-After. One
  // remote address may hold a quarter of it (at least max_body_bytes).
  std::size_t max_inflight_body_bytes = 64 * 1024 * 1024;
  // At the limit, the connection waiting longest for a request is closed to make room;
  // when none waits, the new connection is closed at once.
  int max_connections = 10000;
  int max_connections_per_peer = 256;  // per remote IP address; beyond it: closed at once
  // From a request's first byte to its last, and a new connection's wait for its first
  // byte (so sockets that send nothing are dropped quickly).
  Duration read_timeout = 10s;
  Duration idle_timeout = 75s;  // keep-alive wait for the next request after one completed
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

  // Binds and starts serving on its own threads. Errors: address in use, bad TLS files,
  // inconsistent limits (kInvalid).
  static Result<std::unique_ptr<Server>> start(ServerOptions options, AsyncHandler handler);

  virtual std::uint16_t port() const = 0;
  // Stops accepting, lets in-flight requests finish (answered with Connection: close),
  // closes idle connections, and after `grace` cuts whatever is left. Blocks until the
  // server's threads have ended. Safe to call more than once.
  virtual void shutdown(Duration grace) = 0;
  virtual int active_connections() const = 0;
};

}  // namespace ghscale::http
