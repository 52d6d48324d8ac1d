// The curl client against the project's server on loopback.
#include "http/client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "http/server.h"

namespace ghscale::http {
namespace {

using namespace std::chrono_literals;

TEST(Client, SendsMethodHeadersBodyAndReadsTheAnswer) {
  auto server = Server::start({}, make_sync_handler([](const Request& r) {
                                Response res = Response::text(207, r.method + ":" + r.target + ":" + r.body);
                                res.headers.set("X-Echo", std::string(r.headers.get("X-Token-Kind")));
                                res.headers.set("ETag", "\"abc\"");
                                return res;
                              }));
  ASSERT_TRUE(server.ok());
  auto client = make_curl_client({.user_agent = "ghscale-test"});
  ClientRequest req;
  req.method = "PATCH";
  req.url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/x?y=1";
  req.headers.set("X-Token-Kind", "pat");
  req.body = std::string(5000, 'z');  // large enough that curl would otherwise send Expect
  auto r = client->send(req);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->status, 207);
  EXPECT_EQ(r->body, "PATCH:/x?y=1:" + std::string(5000, 'z'));
  EXPECT_EQ(r->headers.get("x-echo"), "pat");
  EXPECT_EQ(r->headers.get("etag"), "\"abc\"");
}

TEST(Client, ReusesConnections) {
  std::atomic<int> calls{0};
  auto server = Server::start({}, make_sync_handler([&](const Request&) {
                                ++calls;
                                return Response::text(200, "ok");
                              }));
  ASSERT_TRUE(server.ok());
  auto client = make_curl_client();
  for (int i = 0; i < 5; ++i) {
    auto r = client->send({.url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/"});
    ASSERT_TRUE(r.ok());
  }
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ((*server)->active_connections(), 1);  // one kept-alive connection served all five
}

TEST(Client, TransportFailuresAreRetryableAndHideTheQuery) {
  std::uint16_t port = 0;
  {
    auto server = Server::start({}, make_sync_handler([](const Request&) { return Response::text(200, ""); }));
    ASSERT_TRUE(server.ok());
    port = (*server)->port();
  }  // closed: nothing listens there now
  auto client = make_curl_client({.connect_timeout = 1s});
  auto r = client->send({.url = "http://127.0.0.1:" + std::to_string(port) + "/p?X-Amz-Signature=secretsig"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kRetryable);
  EXPECT_EQ(r.error().message.find("secretsig"), std::string::npos);
  EXPECT_NE(r.error().message.find("GET http://127.0.0.1:" + std::to_string(port) + "/p"), std::string::npos);
}

TEST(Client, TimesOut) {
  std::vector<Responder> parked;
  std::mutex mu;
  auto server = Server::start({}, [&](Request&&, Responder respond) {
    std::lock_guard lock(mu);
    parked.push_back(std::move(respond));  // never answered in time
  });
  ASSERT_TRUE(server.ok());
  auto client = make_curl_client();
  auto t0 = std::chrono::steady_clock::now();
  auto r = client->send({.url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/", .timeout = 300ms});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kRetryable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  (*server)->shutdown(100ms);
}

}  // namespace
}  // namespace ghscale::http
