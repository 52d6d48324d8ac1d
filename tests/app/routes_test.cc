// Who may read the status API and /metrics: loopback clients when no token is set, and
// with server.status_token only requests that carry it (from anywhere). The webhook and
// the health probes stay open.
#include "app/routes.h"

#include <gtest/gtest.h>

#include <future>

#include "app/routes_fixture.h"
#include "store/memory_store.h"

namespace ghscale::app {
namespace {

class RoutesTest : public testing::RoutesFixture {};

TEST_F(RoutesTest, WithoutATokenOnlyLoopbackReadsTheStatusApiAndMetrics) {
  for (const std::string from : {"127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_EQ(get("/api/v1/jobs", from).status, 200) << from;
    EXPECT_EQ(get("/metrics", from).status, 200) << from;
  }
  for (const std::string from : {"203.0.113.7", "10.0.0.5", "::ffff:198.51.100.1", "2001:db8::1"}) {
    const http::Response r = get("/api/v1/status", from);
    EXPECT_EQ(r.status, 403) << from;
    EXPECT_NE(r.body.find("server.status_token"), std::string::npos) << r.body;
    EXPECT_EQ(get("/metrics", from).status, 403) << from;
    EXPECT_EQ(get("/healthz", from).status, 200) << from;  // probes stay open
  }
}

TEST_F(RoutesTest, WithATokenEveryReaderNeedsIt) {
  routes_.set_status_token("s3cret-status-token");
  for (const std::string from : {"127.0.0.1", "203.0.113.7"}) {
    EXPECT_EQ(get("/api/v1/jobs", from).status, 401) << from;
    EXPECT_EQ(get("/api/v1/jobs", from, "Bearer wrong-token-of-any-size").status, 401) << from;
    EXPECT_EQ(get("/api/v1/jobs", from, "Bearer s3cret-status-toke").status, 401) << from;
    EXPECT_EQ(get("/api/v1/jobs", from, "Basic s3cret-status-token").status, 401) << from;
    const http::Response refused = get("/metrics", from);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.headers.get("WWW-Authenticate"), "Bearer realm=\"ghscale\"");
    EXPECT_EQ(refused.body.find("s3cret"), std::string::npos);
    EXPECT_EQ(get("/api/v1/jobs", from, "Bearer s3cret-status-token").status, 200) << from;
    EXPECT_EQ(get("/metrics", from, "bearer s3cret-status-token").status, 200) << from;
  }
}

TEST_F(RoutesTest, ListingsAreBounded) {
  EXPECT_EQ(get("/api/v1/jobs?limit=1000", "127.0.0.1").status, 200);
  EXPECT_EQ(get("/api/v1/jobs?limit=100000", "127.0.0.1").status, 400);
  EXPECT_EQ(get("/api/v1/actions?last=5000", "127.0.0.1").status, 400);
}

}  // namespace
}  // namespace ghscale::app
