// The reconcile invocation's input and the summary the state machine reads.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "app/reconcile_once.h"

namespace ghscale::app {
namespace {

namespace json = boost::json;

TEST(ReconcileRequest, EmptyInputMeansEveryPoolWithASweep) {
  for (const std::string& in : {std::string(""), std::string("{}"), std::string("null"), std::string(" \n")}) {
    auto r = parse_reconcile_request(in);
    ASSERT_TRUE(r.ok()) << in;
    EXPECT_TRUE(r->pools.empty());
    EXPECT_TRUE(r->sweep);
  }
}

TEST(ReconcileRequest, NamedPoolsAndSweepAndUnknownFieldsIgnored) {
  auto r = parse_reconcile_request(R"({"pools": ["linux", "arm"], "sweep": false, "iteration": 3, "Payload": {}})");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->pools, (std::vector<std::string>{"linux", "arm"}));
  EXPECT_FALSE(r->sweep);
}

TEST(ReconcileRequest, WrongTypesAreInvalid) {
  for (const std::string& in : {std::string("[]"), std::string(R"({"pools": "linux"})"), std::string(R"({"pools": [1]})"),
                                std::string(R"({"sweep": "yes"})"), std::string("{")}) {
    auto r = parse_reconcile_request(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalid) << in;
  }
}

TEST(ReconcileSummary, RendersTheSharedContract) {
  ReconcileSummary s;
  s.acted = true;
  s.holder = "host:1";
  s.errors = 0;
  s.scaled = true;
  s.pending_registrations = 2;
  scaler::PoolPassReport p;
  p.pool = "linux";
  p.action = scaler::PoolAction::kScaleOut;
  p.launched = 3;
  p.counts.desired = 5;
  p.counts.running = 2;
  p.counts.idle = 1;
  p.counts.busy = 1;
  p.counts.booting = 3;
  p.counts.queued = 4;
  s.pools.push_back(p);
  scaler::PoolPassReport q;
  q.pool = "arm";
  q.action = scaler::PoolAction::kCooldown;
  q.cooldown_remaining = std::chrono::milliseconds(1500);
  s.pools.push_back(q);
  json::value v = json::parse(to_json(s));
  EXPECT_EQ(v, json::parse(R"({"acted":true,"holder":"host:1","errors":0,"scaled":true,"pending_registrations":2,
    "pools":[{"pool":"linux","action":"scale_out","launched":3,"terminated":0,"desired":5,"running":2,"idle":1,
              "busy":1,"booting":3,"queued":4,"cooldown_remaining_ms":0},
             {"pool":"arm","action":"cooldown","launched":0,"terminated":0,"desired":0,"running":0,"idle":0,
              "busy":0,"booting":0,"queued":0,"cooldown_remaining_ms":1500}]})"));
}

}  // namespace
}  // namespace ghscale::app
