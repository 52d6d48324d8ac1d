#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/version.h"
#include "http/beast_request_reader.h"
#include "http/connection_table.h"
#include "http/request_reader.h"

namespace ghscale::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

// After refusing a request, read (and discard) at most this much of what the client is
// still sending before closing, so that the close does not reset the connection and
// destroy the answer before the client has read it.
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(1);

// Late responders post to the io_context only while it exists. Shared with the sessions,
// because the last of them may be destroyed with the io_context, after the server.
struct Registry {
  explicit Registry(ConnectionLimits limits) : table(limits) {}
  ConnectionTable table;
  std::shared_mutex alive_mu;
  bool io_alive = true;  // guarded by alive_mu
};

std::string server_header() { return "ghscale/" + std::string(kVersion); }

bhttp::response<bhttp::string_body> to_beast(Response r, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::server, server_header());
  for (auto& [k, v] : r.headers.items) res.set(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Limits the TLS server to TLS 1.2 and later with forward-secret key exchange and
// authenticated encryption: no RSA key exchange, no CBC, no SHA-1 MACs. TLS 1.3 suites
// are all of that already and keep OpenSSL's defaults.
Status restrict_tls(asio::ssl::context& ctx) {
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL") != 1) {
    return make_error(ErrorKind::kPermanent, "TLS: cannot restrict protocol versions and cipher suites");
  }
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  return {};
}

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, AsyncHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        ioc_(std::max(1, options_.threads)),
        acceptor_(asio::make_strand(ioc_)),
        registry_(std::make_shared<Registry>(ConnectionLimits{
            .max_connections = options_.max_connections,
            .max_per_peer = options_.max_connections_per_peer,
            .body_budget = options_.max_inflight_body_bytes,
            // One address may hold a quarter of the budget (at least one largest body),
            // so a single client cannot starve everyone else.
            .peer_body_budget = std::max(options_.max_body_bytes, options_.max_inflight_body_bytes / 4),
        })) {}

  ~ServerImpl() override {
    shutdown(0ms);
    std::unique_lock lock(registry_->alive_mu);
    registry_->io_alive = false;
  }

  Status open() {
    if (!options_.tls_cert_file.empty()) {
      ssl_.emplace(asio::ssl::context::tls_server);
      ssl_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      if (auto st = restrict_tls(*ssl_); !st) return st;
      beast::error_code ec;
      ssl_->use_certificate_chain_file(options_.tls_cert_file, ec);
      if (ec) return make_error(ErrorKind::kInvalid, "TLS certificate " + options_.tls_cert_file + ": " + ec.message());
      ssl_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
      if (ec) return make_error(ErrorKind::kInvalid, "TLS key " + options_.tls_key_file + ": " + ec.message());
    }
    beast::error_code ec;
    auto addr = asio::ip::make_address(options_.address, ec);
    if (ec) return make_error(ErrorKind::kInvalid, "listen address \"" + options_.address + "\": " + ec.message());
    tcp::endpoint ep(addr, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error(ErrorKind::kPermanent, "cannot listen on " + options_.address + ":" +
                                                   std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
    for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { ioc_.run(); });
    return {};
  }

  std::uint16_t port() const override { return port_; }
  int active_connections() const override { return registry_->table.size(); }

  void shutdown(Duration grace) override {
    std::call_once(shutdown_once_, [&] {
      stopping_ = true;
      asio::post(acceptor_.get_executor(), [this] {
        beast::error_code ignored;
        acceptor_.close(ignored);
      });
      // Use the references outside the table's lock: dropping the last reference
      // destroys a session, which takes the lock itself.
      auto live = registry_->table.live();
      for (auto& s : live) s->begin_shutdown();
      live.clear();
      registry_->table.wait_empty(grace);
      ioc_.stop();
      for (auto& t : threads_) {
        if (t.joinable()) t.join();
      }
    });
  }

  // Called by sessions.
  const ServerOptions& options() const { return options_; }
  const AsyncHandler& handler() const { return handler_; }
  bool stopping() const { return stopping_.load(); }
  const std::shared_ptr<Registry>& registry() const { return registry_; }

 private:
  asio::awaitable<void> accept_loop();
  template <typename Stream>
  void admit(Stream stream, const std::string& remote);

  ServerOptions options_;
  AsyncHandler handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<asio::ssl::context> ssl_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::once_flag shutdown_once_;
  std::shared_ptr<Registry> registry_;
};

// One connection. Everything it does runs on its strand (the socket's executor).
template <typename Stream>
class Session final : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(ServerImpl& server, Stream stream, std::string remote)
      : server_(server),
        registry_(server.registry()),
        stream_(std::move(stream)),
        remote_(std::move(remote)),
        limits_{.max_header_bytes = server.options().max_header_bytes,
                .max_body_bytes = server.options().max_body_bytes},
        buffer_(read_buffer_bytes(limits_)) {}

  ~Session() override {
    if (id_ != 0) registry_->table.remove(id_);
  }

  // Takes a place in the connection table; the caller evicts what it returns.
  ConnectionTable::Admitted enter_table() {
    auto admitted = registry_->table.admit(remote_, this->weak_from_this());
    if (admitted.admission == ConnectionTable::Admission::kAdmitted) id_ = admitted.id;
    return admitted;
  }

  void start() { asio::co_spawn(stream_.get_executor(), run(this->shared_from_this()), asio::detached); }

  void begin_shutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      // A connection between requests is closed now; one with a request in flight
      // finishes it and closes after answering.
      if (!self->busy_) self->lowest().cancel();
    });
  }

  void evict() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->waiting_) self->lowest().cancel();
    });
  }

 private:
  auto& lowest() { return beast::get_lowest_layer(stream_); }

  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void set_waiting(bool waiting) {
    waiting_ = waiting;
    registry_->table.set_waiting(id_, waiting);
  }

  asio::awaitable<void> run(std::shared_ptr<Session> self) {
    (void)self;  // keeps the session alive for the coroutine's life
    const ServerOptions& opt = server_.options();
    if constexpr (kTls) {
      lowest().expires_after(opt.read_timeout);
      set_waiting(true);
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kTuple);
      set_waiting(false);
      if (ec) co_return;
    }
    bool served_one = false;
    while (!server_.stopping()) {
      if (buffer_.size() == 0) {
        // A new connection gets the short read deadline for its first byte: a socket
        // that sends nothing must not hold a place for the keep-alive time. The long
        // idle deadline is for connections that have completed a request.
        lowest().expires_after(served_one ? opt.idle_timeout : opt.read_timeout);
        set_waiting(true);
        auto [ec, n] =
            co_await stream_.async_read_some(buffer_.prepare(std::min<std::size_t>(8192, buffer_.max_size())), kTuple);
        set_waiting(false);
        if (ec) break;
        buffer_.commit(n);
      }
      // The whole request, header and body, within one read deadline.
      lowest().expires_after(opt.read_timeout);
      if (!co_await serve_one()) break;
      served_one = true;
    }
    co_await close();
  }

  // Reads one request and answers it. True when the connection may carry another.
  asio::awaitable<bool> serve_one() {
    const ServerOptions& opt = server_.options();
    ConnectionTable& table = registry_->table;
    RequestReader reader(limits_, [this, &table](std::size_t bytes) { return table.reserve_body(id_, bytes); });
    auto [hec, hn] = co_await bhttp::async_read_header(stream_, buffer_, reader.parser(), kTuple);
    (void)hn;
    if (auto refusal = reader.after_header(hec)) {
      co_await refuse(*refusal);
      co_return false;
    }
    if (reader.expects_continue()) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      auto [cec, cn] = co_await bhttp::async_write(stream_, cont, kTuple);
      (void)cn;
      if (cec) co_return false;
    }
    auto [bec, bn] = co_await bhttp::async_read(stream_, buffer_, reader.parser(), kTuple);
    (void)bn;
    if (auto refusal = reader.after_body(bec)) {
      co_await refuse(*refusal);
      co_return false;
    }
    busy_ = true;
    ParsedRequest parsed = reader.release();
    parsed.request.remote_address = remote_;
    Response response = co_await handle(std::move(parsed.request));
    table.release_body(id_);
    const bool keep_alive = parsed.keep_alive && !server_.stopping();
    auto res = to_beast(std::move(response), parsed.version, keep_alive);
    lowest().expires_after(opt.write_timeout);
    beast::error_code wec;
    if (parsed.head) {
      // The header a GET would get, its Content-Length included, and no body (RFC 9110
      // 9.3.2): body bytes after a HEAD answer would be read as the next response.
      bhttp::response<bhttp::empty_body> bare(std::move(res.base()));
      std::tie(wec, std::ignore) = co_await bhttp::async_write(stream_, bare, kTuple);
    } else {
      std::tie(wec, std::ignore) = co_await bhttp::async_write(stream_, res, kTuple);
    }
    busy_ = false;
    co_return !wec && keep_alive;
  }

  // A refused request's answer; status 0 (the peer went away or the bytes ended) has none.
  asio::awaitable<void> refuse(const Refusal& refusal) {
    if (refusal.status == 0) co_return;
    Response r = Response::error(refusal.status, refusal.reason);
    if (refusal.status == 503) {
      // Over the in-flight body budget: what is in flight now is done or cut off within
      // one read deadline.
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(server_.options().read_timeout).count();
      r.headers.set("Retry-After", std::to_string(std::max<long long>(1, seconds)));
    }
    co_await refuse(std::move(r));
  }

  // Hands the request to the handler and resumes on this strand when it answers. A
  // handler that answers at once costs no suspension; one that answers later (from any
  // thread) wakes the session by cancelling a timer on the session's strand. A
  // responder may outlive the session and even the server: it then does nothing.
  asio::awaitable<Response> handle(Request request) {
    struct Pending {
      std::mutex mu;
      std::optional<Response> response;    // guarded by mu
      asio::steady_timer* wake = nullptr;  // guarded by mu; set while the session waits
    };
    auto pending = std::make_shared<Pending>();
    std::shared_ptr<Registry> registry = registry_;
    // The responder holds neither the session nor its executor (a strand must not
    // outlive the io_context): only a weak reference, used while the server lives.
    std::weak_ptr<Session> weak = this->weak_from_this();
    server_.handler()(std::move(request), [pending, registry, weak](Response r) {
      {
        std::lock_guard lock(pending->mu);
        pending->response = std::move(r);
        if (pending->wake == nullptr) return;  // answered before the session waits, or too late
      }
      std::shared_lock alive(registry->alive_mu);
      if (!registry->io_alive) return;
      auto session = weak.lock();
      if (!session) return;
      asio::post(session->stream_.get_executor(), [pending] {
        std::lock_guard lock(pending->mu);
        if (pending->wake != nullptr) pending->wake->cancel();
      });
    });
    asio::steady_timer wake(stream_.get_executor(), asio::steady_timer::time_point::max());
    {
      std::lock_guard lock(pending->mu);
      if (pending->response) co_return std::move(*pending->response);
      pending->wake = &wake;
    }
    auto [ec] = co_await wake.async_wait(kTuple);
    (void)ec;
    std::lock_guard lock(pending->mu);
    pending->wake = nullptr;
    if (pending->response) co_return std::move(*pending->response);
    co_return Response::error(503, "shutting down");
  }

  // Answers a request that will not be served, and marks the connection for closing.
  asio::awaitable<void> refuse(Response r) {
    linger_ = true;
    auto res = to_beast(std::move(r), 11, false);
    lowest().expires_after(server_.options().write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, kTuple);
    (void)ec;
    (void)n;
  }

  asio::awaitable<void> close() {
    beast::error_code ec;
    if constexpr (kTls) {
      lowest().expires_after(std::chrono::seconds(1));
      auto [sec] = co_await stream_.async_shutdown(kTuple);
      (void)sec;
    }
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger_ && !kTls) {
      // The client may still be sending the body we refused; closing with unread data
      // would reset the connection and could destroy our answer in flight. Read a
      // bounded amount for a bounded time first.
      lowest().expires_after(kLingerTime);
      std::array<char, 4096> sink;
      for (std::size_t total = 0; total < kLingerBytes;) {
        auto [rec, n] = co_await lowest().async_read_some(asio::buffer(sink), kTuple);
        if (rec) break;
        total += n;
      }
    }
    lowest().close();
  }

  ServerImpl& server_;
  std::shared_ptr<Registry> registry_;
  Stream stream_;
  std::string remote_;
  const RequestLimits limits_;  // the budget is the connection table's
  beast::flat_buffer buffer_;   // bounded: see kReadBufferMargin
  ConnectionTable::Id id_ = 0;
  // On the strand only:
  bool busy_ = false;     // a request is with the handler or being answered
  bool waiting_ = false;  // waiting for a request's first byte (or the TLS handshake)
  bool linger_ = false;   // a request was refused: drain before closing
};

template <typename Stream>
void ServerImpl::admit(Stream stream, const std::string& remote) {
  auto session = std::make_shared<Session<Stream>>(*this, std::move(stream), remote);
  auto admitted = session->enter_table();
  if (admitted.evicted) admitted.evicted->evict();
  // A refused session is destroyed here, which closes its socket at once.
  if (admitted.admission == ConnectionTable::Admission::kAdmitted) session->start();
}

asio::awaitable<void> ServerImpl::accept_loop() {
  while (true) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), kTuple);
    if (ec) {
      if (!acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors and the like: back off briefly rather than spin.
      asio::steady_timer t(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    if (stopping_) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    beast::error_code rec;
    auto remote_ep = socket.remote_endpoint(rec);
    std::string remote = rec ? std::string() : remote_ep.address().to_string();
    socket.set_option(tcp::no_delay(true), rec);
    if (ssl_) {
      admit(beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *ssl_), remote);
    } else {
      admit(beast::tcp_stream(std::move(socket)), remote);
    }
  }
}

}  // namespace

AsyncHandler make_sync_handler(std::function<Response(const Request&)> fn) {
  return [fn = std::move(fn)](Request&& req, Responder respond) { respond(fn(req)); };
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, AsyncHandler handler) {
  if (options.max_connections < 1 || options.max_connections_per_peer < 1 ||
      options.max_inflight_body_bytes < options.max_body_bytes) {
    return make_error(ErrorKind::kInvalid,
                      "server limits: connections must be positive and the in-flight body budget at least "
                      "max_body_bytes");
  }
  auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler));
  if (auto st = server->open(); !st) return st.error();
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace ghscale::http
