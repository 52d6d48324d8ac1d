#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/version.h"

namespace ghscale::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

class ServerImpl;

// What the server needs of a session to shut it down.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void begin_shutdown() = 0;
};

// Live sessions. Shared with the sessions themselves, because the last of them may be
// destroyed with the io_context, after the server's own members.
struct Registry {
  std::mutex mu;
  std::condition_variable idle_cv;
  std::list<std::weak_ptr<SessionBase>> sessions;  // guarded by mu
  std::atomic<int> active{0};
  // Late responders post to the io_context only while it exists.
  std::shared_mutex alive_mu;
  bool io_alive = true;  // guarded by alive_mu

  std::list<std::weak_ptr<SessionBase>>::iterator add(std::weak_ptr<SessionBase> s) {
    std::lock_guard lock(mu);
    ++active;
    return sessions.insert(sessions.end(), std::move(s));
  }
  void remove(std::list<std::weak_ptr<SessionBase>>::iterator it) {
    std::lock_guard lock(mu);
    sessions.erase(it);
    --active;
    idle_cv.notify_all();
  }
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

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, AsyncHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)), ioc_(std::max(1, options_.threads)),
        acceptor_(asio::make_strand(ioc_)) {}

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
  int active_connections() const override { return registry_->active.load(); }

  void shutdown(Duration grace) override {
    std::call_once(shutdown_once_, [&] {
      stopping_ = true;
      asio::post(acceptor_.get_executor(), [this] {
        beast::error_code ignored;
        acceptor_.close(ignored);
      });
      // Take references under the lock but use them outside it: dropping the last
      // reference destroys a session, which takes the lock itself.
      std::vector<std::shared_ptr<SessionBase>> live;
      {
        std::lock_guard lock(registry_->mu);
        for (auto& weak : registry_->sessions) {
          if (auto s = weak.lock()) live.push_back(std::move(s));
        }
      }
      for (auto& s : live) s->begin_shutdown();
      live.clear();
      {
        std::unique_lock lock(registry_->mu);
        registry_->idle_cv.wait_for(lock, grace, [this] { return registry_->active.load() == 0; });
      }
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

  ServerOptions options_;
  AsyncHandler handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<asio::ssl::context> ssl_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::once_flag shutdown_once_;
  std::shared_ptr<Registry> registry_ = std::make_shared<Registry>();
};

// One connection. Everything it does runs on its strand (the socket's executor).
template <typename Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(ServerImpl& server, Stream stream, std::string remote)
      : server_(server), registry_(server.registry()), stream_(std::move(stream)), remote_(std::move(remote)) {}

  ~Session() override {
    if (registered_) registry_->remove(registration_);
  }

  void start() {
    registration_ = registry_->add(this->weak_from_this());
    registered_ = true;
    asio::co_spawn(stream_.get_executor(), run(this->shared_from_this()), asio::detached);
  }

  void begin_shutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      // A connection between requests is closed now; one with a request in flight
      // finishes it and closes after answering.
      if (!self->busy_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

 private:
  auto& lowest() { return beast::get_lowest_layer(stream_); }

  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  asio::awaitable<void> run(std::shared_ptr<Session> self) {
    (void)self;  // keeps the session alive for the coroutine's life
    const ServerOptions& opt = server_.options();
    if constexpr (kTls) {
      lowest().expires_after(opt.read_timeout);
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kTuple);
      if (ec) co_return;
    }
    while (!server_.stopping()) {
      // Wait for the next request's first byte under the (long) idle deadline, then give
      // the whole request the (short) read deadline, so slow clients are cut off.
      if (buffer_.size() == 0) {
        lowest().expires_after(opt.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(8192), kTuple);
        if (ec) break;
        buffer_.commit(n);
      }
      lowest().expires_after(opt.read_timeout);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(opt.max_header_bytes));
      parser.body_limit(opt.max_body_bytes);
      auto [hec, hn] = co_await bhttp::async_read_header(stream_, buffer_, parser, kTuple);
      (void)hn;
      if (hec) {
        if (hec == bhttp::error::header_limit) co_await reply_and_close(Response::error(431, "request header too large"));
        else if (hec == bhttp::error::body_limit) co_await reply_and_close(Response::error(413, "request body too large"));
        else if (hec != beast::error::timeout && hec != asio::error::operation_aborted &&
                 hec != bhttp::error::end_of_stream && hec != asio::error::eof)
          co_await reply_and_close(Response::error(400, "malformed request"));
        break;
      }
      if (parser.get()[bhttp::field::expect] == "100-continue") {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
        auto [cec, cn] = co_await bhttp::async_write(stream_, cont, kTuple);
        (void)cn;
        if (cec) break;
      }
      auto [bec, bn] = co_await bhttp::async_read(stream_, buffer_, parser, kTuple);
      (void)bn;
      if (bec) {
        if (bec == bhttp::error::body_limit) co_await reply_and_close(Response::error(413, "request body too large"));
        else if (bec != beast::error::timeout && bec != asio::error::operation_aborted && bec != asio::error::eof &&
                 bec != bhttp::error::partial_message)
          co_await reply_and_close(Response::error(400, "malformed request"));
        break;
      }
      busy_ = true;
      auto req = parser.release();
      unsigned version = req.version();
      bool keep_alive = req.keep_alive();
      Request request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      request.remote_address = remote_;
      request.headers.items.reserve(16);
      for (const auto& f : req) request.headers.add(std::string(f.name_string()), std::string(f.value()));
      request.body = std::move(req.body());
      Response response = co_await handle(std::move(request));
      keep_alive = keep_alive && !server_.stopping();
      auto res = to_beast(std::move(response), version, keep_alive);
      lowest().expires_after(opt.write_timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream_, res, kTuple);
      (void)wn;
      busy_ = false;
      if (wec || !keep_alive) break;
    }
    co_await close();
  }

  // Hands the request to the handler and resumes on this strand when it answers. A
  // handler that answers at once costs no suspension; one that answers later (from any
  // thread) wakes the session by cancelling a timer on the session's strand. A
  // responder may outlive the session and even the server: it then does nothing.
  asio::awaitable<Response> handle(Request request) {
    struct Pending {
      std::mutex mu;
      std::optional<Response> response;       // guarded by mu
      asio::steady_timer* wake = nullptr;     // guarded by mu; set while the session waits
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

  asio::awaitable<void> reply_and_close(Response r) {
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
    lowest().close();
  }

  ServerImpl& server_;
  std::shared_ptr<Registry> registry_;
  Stream stream_;
  std::string remote_;
  beast::flat_buffer buffer_;
  bool busy_ = false;  // on the strand only
  bool registered_ = false;
  std::list<std::weak_ptr<SessionBase>>::iterator registration_;
};

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
    if (stopping_ || registry_->active.load() >= options_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    beast::error_code rec;
    auto remote_ep = socket.remote_endpoint(rec);
    std::string remote = rec ? std::string() : remote_ep.address().to_string();
    socket.set_option(tcp::no_delay(true), rec);
    if (ssl_) {
      auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          *this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *ssl_), remote);
      s->start();
    } else {
      auto s = std::make_shared<Session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)), remote);
      s->start();
    }
  }
}

}  // namespace

AsyncHandler make_sync_handler(std::function<Response(const Request&)> fn) {
  return [fn = std::move(fn)](Request&& req, Responder respond) { respond(fn(req)); };
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, AsyncHandler handler) {
  auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler));
  if (auto st = server->open(); !st) return st.error();
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace ghscale::http
