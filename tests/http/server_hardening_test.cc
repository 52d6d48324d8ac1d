// The server against hostile clients, in process on loopback: what a client sends before
// it is authenticated cannot grow memory without bound, hold places for long, or be read
// with ambiguous framing. Several loopback source addresses stand for several peers.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "http/server.h"
#include "peer_connection.h"

namespace ghscale::http {
namespace {

using namespace std::chrono_literals;
using testing::PeerConnection;

std::unique_ptr<Server> start(ServerOptions options, AsyncHandler handler = nullptr) {
  if (!handler) {
    handler = make_sync_handler(
        [](const Request& r) { return Response::text(200, r.method + " " + std::to_string(r.body.size())); });
  }
  auto s = Server::start(std::move(options), std::move(handler));
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().describe());
  return std::move(s).value();
}

const std::string kChunkedHead = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST(ServerHardening, ChunkHeaderThatNeverEndsIsRefusedAtOnce) {
  // Beast's body limit does not count chunk extensions: without a bounded read buffer
  // the server kept buffering `1;aaaa...` until the read deadline (1.26 GB for 512 MiB).
  auto server = start({.read_timeout = 8s});
  PeerConnection c(server->port());
  auto t0 = std::chrono::steady_clock::now();
  c.send(kChunkedHead + "1;" + std::string(200 * 1024, 'a'));
  EXPECT_EQ(c.status(4s), 400) << c.received();
  EXPECT_TRUE(c.closed_by_peer(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
}

TEST(ServerHardening, LongChunkExtensionIsRefused) {
  auto server = start({});
  PeerConnection c(server->port());
  c.send(kChunkedHead + "5;name=" + std::string(1000, 'x') + "\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(c.status(), 400) << c.received();
  EXPECT_TRUE(c.closed_by_peer(3s));
  PeerConnection fine(server->port());
  fine.send(kChunkedHead + "5;name=value\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(fine.status(), 200) << fine.received();
}

TEST(ServerHardening, TrailersAreRefused) {
  auto server = start({.read_timeout = 8s});
  {
    // A trailer field would be merged into the header as if it had been sent first.
    PeerConnection c(server->port());
    c.send(kChunkedHead + "5\r\nhello\r\n0\r\nX-Hub-Signature-256: sha256=00\r\n\r\n");
    EXPECT_EQ(c.status(), 400) << c.received();
    EXPECT_TRUE(c.closed_by_peer(3s));
  }
  {
    // A trailer section larger than any header allowed: refused without buffering it.
    PeerConnection c(server->port());
    std::string trailers;
    while (trailers.size() < 200 * 1024) trailers += "X-Pad: " + std::string(100, 'p') + "\r\n";
    auto t0 = std::chrono::steady_clock::now();
    c.send(kChunkedHead + "5\r\nhello\r\n0\r\n" + trailers);
    EXPECT_EQ(c.status(4s), 400) << c.received();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  }
}

TEST(ServerHardening, TransferEncodingOtherThanOneChunkedIs400AndCloses) {
  auto server = start({});
  for (std::string te : {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: gzip, chunked\r\n",
                         "Transfer-Encoding: chunked, chunked\r\n", "Transfer-Encoding: identity\r\n",
                         "Transfer-Encoding: identity, chunked\r\n",
                         "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                         "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"}) {
    PeerConnection c(server->port());
    c.send("POST / HTTP/1.1\r\nHost: x\r\n" + te + "\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(c.status(), 400) << te << c.received();
    EXPECT_TRUE(c.closed_by_peer(3s)) << te;
  }
  PeerConnection old(server->port());
  old.send("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(old.status(), 400) << old.received();
  PeerConnection fine(server->port());
  fine.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(fine.status(), 200) << fine.received();
  EXPECT_NE(fine.received().find("POST 5"), std::string::npos) << fine.received();
}

TEST(ServerHardening, HeadAnswerHasTheGetLengthButNoBody) {
  auto server = start({}, make_sync_handler([](const Request&) { return Response::text(200, "hello"); }));
  PeerConnection c(server->port());
  c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got = c.receive(300ms);
  auto end = got.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << got;
  EXPECT_NE(got.find("Content-Length: 5\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.size(), end + 4) << "body bytes after a HEAD answer: " << got;
  // The connection stays usable: the next answer is read where it should be.
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string next = c.receive(300ms);
  EXPECT_EQ(next.rfind("HTTP/1.1 200", 0), 0u) << next;
  EXPECT_EQ(next.substr(next.size() - 5), "hello");
}

TEST(ServerHardening, NewConnectionGetsTheReadDeadlineForItsFirstByte) {
  auto server = start({.read_timeout = 300ms, .idle_timeout = 30s});
  PeerConnection silent(server->port());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_peer(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(ServerHardening, IdleDeadlineAppliesOnlyAfterACompletedRequest) {
  auto server = start({.read_timeout = 300ms, .idle_timeout = 1500ms});
  PeerConnection c(server->port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(c.status(), 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(c.closed_by_peer(800ms));  // well past the read deadline: still open
  EXPECT_TRUE(c.closed_by_peer(3s));
  EXPECT_GT(std::chrono::steady_clock::now() - t0, 1200ms);
}

TEST(ServerHardening, OnePeerCannotTakeEveryConnection) {
  auto server = start({.max_connections_per_peer = 3});
  std::vector<std::unique_ptr<PeerConnection>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<PeerConnection>(server->port(), "127.0.0.2"));
  PeerConnection extra(server->port(), "127.0.0.2");
  EXPECT_TRUE(extra.closed_by_peer(2s));
  EXPECT_EQ(extra.status(100ms), 0);
  PeerConnection other(server->port(), "127.0.0.3");
  other.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(other.status(), 200);
  held.pop_back();  // a place of 127.0.0.2 frees up
  for (int i = 0; i < 50 && server->active_connections() > 3; ++i) std::this_thread::sleep_for(20ms);
  PeerConnection again(server->port(), "127.0.0.2");
  again.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(again.status(), 200);
}

TEST(ServerHardening, FullServerEvictsTheLongestWaitingConnection) {
  auto server = start({.max_connections = 2});
  PeerConnection oldest(server->port(), "127.0.0.2");
  ASSERT_TRUE(oldest.connected());
  for (int i = 0; i < 50 && server->active_connections() < 1; ++i) std::this_thread::sleep_for(10ms);
  PeerConnection served(server->port(), "127.0.0.3");
  served.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(served.status(), 200);  // now waits too, but since later
  PeerConnection newcomer(server->port(), "127.0.0.4");
  newcomer.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(newcomer.status(), 200);
  EXPECT_TRUE(oldest.closed_by_peer(2s));
  EXPECT_FALSE(served.closed_by_peer(200ms));
}

TEST(ServerHardening, FullServerWithNobodyWaitingRefusesTheNewcomer) {
  auto server = start({.max_connections = 1});
  PeerConnection busy(server->port(), "127.0.0.2");
  busy.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");  // mid-request
  for (int i = 0; i < 50 && server->active_connections() < 1; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  PeerConnection newcomer(server->port(), "127.0.0.3");
  EXPECT_TRUE(newcomer.closed_by_peer(2s));
  busy.send("defghij");
  EXPECT_EQ(busy.status(), 200);
}

TEST(ServerHardening, BodiesInFlightShareABudget) {
  // 4096 bytes in all; one peer may hold max(2048, 4096 / 4) = 2048 of them.
  auto server = start({.max_body_bytes = 2048, .max_inflight_body_bytes = 4096});
  auto post = [](std::size_t length) {
    return "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
  };
  PeerConnection a(server->port(), "127.0.0.2");
  a.send(post(2000) + std::string(100, 'a'));  // holds 2000 while it sends slowly
  std::this_thread::sleep_for(100ms);
  PeerConnection same_peer(server->port(), "127.0.0.2");
  same_peer.send(post(100));
  EXPECT_EQ(same_peer.status(), 503) << same_peer.received();
  EXPECT_NE(same_peer.received().find("Retry-After: "), std::string::npos) << same_peer.received();
  EXPECT_TRUE(same_peer.closed_by_peer(3s));
  PeerConnection b(server->port(), "127.0.0.3");
  b.send(post(2000) + std::string(100, 'b'));  // 4000 of 4096 now
  std::this_thread::sleep_for(100ms);
  PeerConnection c(server->port(), "127.0.0.4");
  c.send(kChunkedHead + "200\r\n");  // a 512-byte chunk no longer fits
  EXPECT_EQ(c.status(), 503) << c.received();
  a.send(std::string(1900, 'a'));
  EXPECT_EQ(a.status(), 200);
  b.send(std::string(1900, 'b'));
  EXPECT_EQ(b.status(), 200);
  PeerConnection d(server->port(), "127.0.0.4");  // answered bodies gave their bytes back
  d.send(post(2000) + std::string(2000, 'd'));
  EXPECT_EQ(d.status(), 200) << d.received();
}

TEST(ServerHardening, InconsistentLimitsAreRefused) {
  auto r = Server::start({.max_body_bytes = 4096, .max_inflight_body_bytes = 1024},
                         make_sync_handler([](const Request&) { return Response::text(200, ""); }));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
}

}  // namespace
}  // namespace ghscale::http
