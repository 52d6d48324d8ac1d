// The HTTP server on loopback, port 0, checked with a raw socket client: keep-alive,
// limits, deadlines, asynchronous handlers, graceful shutdown.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <sys/resource.h>

#include "support/http_client.h"

namespace ghscale::http {
namespace {

using namespace std::chrono_literals;
using testing::http_request;
using testing::RawConnection;

std::unique_ptr<Server> start(ServerOptions options, AsyncHandler handler) {
  auto s = Server::start(std::move(options), std::move(handler));
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().describe());
  return std::move(s).value();
}

AsyncHandler echo() {
  return make_sync_handler([](const Request& r) {
    return Response::text(200, r.method + " " + r.target + " " + std::to_string(r.body.size()) + " " +
                                   std::string(r.headers.get("x-test", "-")));
  });
}

TEST(Server, AnswersAndKeepsAlive) {
  auto server = start({}, echo());
  RawConnection c(server->port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("POST /hook?i=" + std::to_string(i) +
                       " HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\nContent-Length: 5\r\n\r\nhello"));
    auto r = c.read_reply();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "POST /hook?i=" + std::to_string(i) + " 5 yes");
    EXPECT_NE(r.head.find("Server: ghscale/"), std::string::npos);
  }
  EXPECT_EQ(server->active_connections(), 1);
}

TEST(Server, HandlerMayAnswerLaterFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mu;
  auto server = start({.threads = 2}, [&](Request&& req, Responder respond) {
    std::lock_guard lock(mu);
    workers.emplace_back([req = std::move(req), respond = std::move(respond)] {
      std::this_thread::sleep_for(20ms);
      respond(Response::text(201, "later " + req.target));
    });
  });
  std::vector<std::future<testing::HttpReply>> replies;
  for (int i = 0; i < 8; ++i) {
    replies.push_back(std::async(std::launch::async, [&, i] {
      return http_request(server->port(), "GET", "/r" + std::to_string(i));
    }));
  }
  for (int i = 0; i < 8; ++i) {
    auto r = replies[static_cast<std::size_t>(i)].get();
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.body, "later /r" + std::to_string(i));
  }
  server->shutdown(1s);
  for (auto& t : workers) t.join();
}

TEST(Server, BodyOverLimitIs413EvenWithLyingOrChunkedLength) {
  auto server = start({.max_body_bytes = 1024}, echo());
  {
    RawConnection c(server->port());
    // Declares more than the limit: refused on the header alone.
    c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
    EXPECT_EQ(c.read_reply().status, 413);
    EXPECT_TRUE(c.closed_by_peer(2s));
  }
  {
    RawConnection c(server->port());
    std::string chunk(600, 'a');
    std::string req = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) req += "258\r\n" + chunk + "\r\n";
    req += "0\r\n\r\n";
    c.send(req);
    EXPECT_EQ(c.read_reply().status, 413);
  }
  {
    // Within the limit, chunked is fine.
    RawConnection c(server->port());
    c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    auto r = c.read_reply();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "POST / 5 -");
  }
}

TEST(Server, HeaderOverLimitIs431) {
  auto server = start({.max_header_bytes = 1024}, echo());
  RawConnection c(server->port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'b') + "\r\n\r\n");
  EXPECT_EQ(c.read_reply().status, 431);
}

TEST(Server, MalformedRequestIs400) {
  auto server = start({}, echo());
  RawConnection c(server->port());
  c.send("this is not http\r\n\r\n");
  EXPECT_EQ(c.read_reply().status, 400);
}

TEST(Server, SlowClientIsCutOffAtTheReadDeadline) {
  auto server = start({.read_timeout = 300ms}, echo());
  RawConnection c(server->port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
  auto t0 = std::chrono::steady_clock::now();
  bool cut = false;
  for (int i = 0; i < 50 && !cut; ++i) {
    cut = !c.send("a") || c.closed_by_peer(100ms);  // one byte every 100 ms
  }
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  // Others are still served.
  EXPECT_EQ(http_request(server->port(), "GET", "/").status, 200);
}

TEST(Server, IdleConnectionsAreClosedAfterIdleTimeout) {
  auto server = start({.idle_timeout = 200ms}, echo());
  RawConnection c(server->port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.read_reply().status, 200);
  EXPECT_TRUE(c.closed_by_peer(3s));
}

TEST(Server, ExpectContinueIsHonoured) {
  auto server = start({}, echo());
  RawConnection c(server->port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  auto interim = c.read_reply();
  EXPECT_EQ(interim.status, 100);
  c.send("abc");
  auto r = c.read_reply();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST / 3 -");
}

TEST(Server, ConnectionLimitRefusesExtraConnectionsWhenNoneIsIdle) {
  auto server = start({.max_connections = 2}, echo());
  RawConnection a(server->port());
  RawConnection b(server->port());
  // Both mid-request, so neither may be evicted for a newcomer.
  a.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\na");
  b.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nb");
  std::this_thread::sleep_for(100ms);
  RawConnection extra(server->port());
  EXPECT_TRUE(extra.closed_by_peer(2s));
  a.send("a");
  b.send("b");
  EXPECT_EQ(a.read_reply().status, 200);
  EXPECT_EQ(b.read_reply().status, 200);
}

TEST(Server, ManyIdleConnectionsDoNotStarveOthers) {
  // 2,000 idle clients and their server ends live in this one process.
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 4200 && lim.rlim_max >= 4200) {
    lim.rlim_cur = 4200;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  // All from one address here; the per-peer cap has its own test.
  auto server = start({.threads = 2, .max_connections_per_peer = 5000}, echo());
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 2000; ++i) idle.push_back(std::make_unique<RawConnection>(server->port()));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(http_request(server->port(), "GET", "/").status, 200);
  server->shutdown(2s);
  EXPECT_EQ(server->active_connections(), 0);
}

TEST(Server, ShutdownFinishesInFlightRequestsAndClosesIdleOnes) {
  std::promise<Responder> pending;
  auto server = start({.threads = 2}, [&](Request&&, Responder respond) { pending.set_value(std::move(respond)); });
  RawConnection idle(server->port());
  RawConnection busy(server->port());
  busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  Responder respond = pending.get_future().get();  // the request is in flight now
  std::thread stopper([&] { server->shutdown(5s); });
  EXPECT_TRUE(idle.closed_by_peer(2s));
  respond(Response::text(200, "finished"));
  auto r = busy.read_reply();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "finished");
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos) << r.head;
  stopper.join();
  EXPECT_EQ(RawConnection(server->port()).connected(), false);
}

TEST(Server, ShutdownCutsWhatIsLeftAfterGrace) {
  std::promise<Responder> pending;
  auto server = start({}, [&](Request&&, Responder respond) { pending.set_value(std::move(respond)); });
  RawConnection busy(server->port());
  busy.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  Responder respond = pending.get_future().get();
  auto t0 = std::chrono::steady_clock::now();
  server->shutdown(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  respond(Response::text(200, "too late"));  // must be harmless
}

TEST(Server, BindFailureIsAnError) {
  auto first = start({}, echo());
  auto second = Server::start({.port = first->port()}, echo());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(first->port())),
            std::string::npos);
  auto bad = Server::start({.address = "not-an-address"}, echo());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalid);
}

}  // namespace
}  // namespace ghscale::http
