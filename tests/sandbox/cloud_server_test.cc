// provider::RemoteProvider against sandbox::CloudServer serving a SimCloud: every Provider
// call crosses loopback HTTP and answers what the cloud itself answers; bad requests get
// a clear error and change nothing; the caller of each changing call is recorded.
#include "sandbox/cloud_server.h"

#include <gtest/gtest.h>

#include "http/client.h"
#include "provider/remote/remote_provider.h"
#include "provider/remote/wire.h"
#include "provider/sim/sim_cloud.h"

namespace ghscale::sandbox {
namespace {

using namespace std::chrono_literals;

class CloudServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<ManualClock>(TimePoint{std::chrono::hours(500000)});
    provider::SimCloudOptions o;
    o.clock = clock_;
    o.boot_time = 10s;
    cloud_ = std::make_shared<provider::SimCloud>(o);
    auto server = CloudServer::start(cloud_, clock_);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
    remote_ = std::make_unique<provider::RemoteProvider>(
        provider::RemoteProviderOptions{.endpoint_url = server_->endpoint_url(), .process = "test:1"});
  }

  http::ClientResponse post(const std::string& path, const std::string& body) {
    http::ClientRequest req;
    req.method = "POST";
    req.url = server_->endpoint_url() + path;
    req.body = body;
    auto r = http::make_curl_client()->send(req);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : http::ClientResponse{};
  }

  std::shared_ptr<ManualClock> clock_;
  std::shared_ptr<provider::SimCloud> cloud_;
  std::unique_ptr<CloudServer> server_;
  std::unique_ptr<provider::RemoteProvider> remote_;
};

TEST_F(CloudServerTest, LaunchDescribeProtectTerminateRoundTrip) {
  provider::LaunchRequest req;
  req.pool = "linux";
  req.split = {1, 2};
  req.client_token = "tok-1";
  req.cause_job_id = 42;
  auto out = remote_->launch(req);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->on_demand_ids.size(), 1u);
  ASSERT_EQ(out->spot_ids.size(), 2u);
  EXPECT_FALSE(out->spot_error.has_value());

  // The same token answers the same ids (idempotent launch), through the wire too.
  auto again = remote_->launch(req);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->spot_ids, out->spot_ids);
  EXPECT_EQ(cloud_->live_count(), 3);

  auto listed = remote_->describe("linux");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 3u);
  const auto& first = listed->front();
  EXPECT_EQ(first.pool, "linux");
  EXPECT_EQ(first.lifecycle, provider::Lifecycle::kPending);
  EXPECT_EQ(first.launched_at, clock_->now());
  EXPECT_EQ(first.tags.at(std::string(provider::kTagJob)), "42");
  EXPECT_TRUE(remote_->describe("other").value().empty());

  ASSERT_TRUE(remote_->protect({out->spot_ids[0]}, true).ok());
  EXPECT_TRUE(cloud_->instance(out->spot_ids[0])->scale_in_protected);

  provider::Registration reg;
  reg.runner_name = "r-1";
  reg.secret = "jit-secret";
  reg.labels = {"linux"};
  ASSERT_TRUE(remote_->hand_over(out->spot_ids[1], reg).ok());
  EXPECT_EQ(cloud_->usage(clock_->now()).hand_overs, 1);

  ASSERT_TRUE(remote_->terminate({out->on_demand_ids[0], "i-unknown"}).ok());
  EXPECT_EQ(cloud_->live_count(), 2);

  std::vector<std::string> ops;
  for (const auto& c : server_->calls()) {
    EXPECT_EQ(c.process, "test:1");
    ops.push_back(c.op);
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"launch", "launch", "protect", "hand-over", "terminate"}));
}

TEST_F(CloudServerTest, ErrorsKeepTheirKind) {
  provider::Registration reg;
  reg.secret = "s";
  auto s = remote_->hand_over("i-nope", reg);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(remote_->launch(provider::LaunchRequest{.pool = "linux"}).error().kind, ErrorKind::kInvalid);
  // A capacity shortfall is a per-market error in the outcome, not a failed call.
  cloud_->set_capacity(Market::kSpot, 0);
  auto out = remote_->launch(provider::LaunchRequest{.pool = "linux", .split = {0, 2}, .client_token = "t2"});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->spot_ids.empty());
  ASSERT_TRUE(out->spot_error.has_value());
  EXPECT_EQ(out->spot_error->kind, ErrorKind::kConflict);
}

TEST_F(CloudServerTest, BadRequestsAreRefusedAndChangeNothing) {
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/launch", "not json"},
           {"/v1/launch", R"({"pool":"","on_demand":1})"},
           {"/v1/launch", R"({"pool":"p","spot":-3})"},
           {"/v1/terminate", R"({"id":"i-1"})"},
           {"/v1/hand-over", R"({"instance_id":"i-1","registration":{"kind":"password"}})"}}) {
    auto r = post(path, body);
    EXPECT_EQ(r.status, 400) << path << " " << body;
    EXPECT_EQ(provider::wire::decode_error(r.status, r.body).kind, ErrorKind::kInvalid) << r.body;
  }
  EXPECT_EQ(post("/v1/nothing", "{}").status, 404);
  EXPECT_EQ(cloud_->live_count(), 0);
  EXPECT_TRUE(server_->calls().empty());
}

TEST(RemoteProvider, AnUnreachableCloudIsRetryable) {
  provider::RemoteProvider remote({.endpoint_url = "http://127.0.0.1:1", .timeout = 2s});
  auto r = remote.describe("linux");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kRetryable);
}

}  // namespace
}  // namespace ghscale::sandbox
