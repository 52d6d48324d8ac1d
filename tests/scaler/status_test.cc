#include <gtest/gtest.h>

#include "scaler/metrics.h"
#include "scaler/status.h"
#include "scaler/token_bucket.h"

namespace ghscale::scaler {
namespace {

using namespace std::chrono_literals;

TEST(Metrics, PrometheusTextNamesEveryMetricOfTheIssue) {
  ScalerMetrics m;
  PoolCounts c;
  c.desired = 4;
  c.running = 3;
  c.idle = 1;
  c.busy = 2;
  c.queued = 5;
  m.set_pool("linux", c);
  m.launched(Market::kSpot, true, 2);
  m.terminated("scale_in");
  m.queue_wait(12.5);
  m.reconcile_duration(0.002);
  const std::string t = m.prometheus();
  for (const char* line : {"ghscale_pool_desired_runners{pool=\"linux\"} 4\n", "ghscale_pool_running_runners{pool=\"linux\"} 3\n",
                           "ghscale_pool_idle_runners{pool=\"linux\"} 1\n", "ghscale_pool_busy_runners{pool=\"linux\"} 2\n",
                           "ghscale_pool_booting_runners{pool=\"linux\"} 0\n", "ghscale_jobs_queued{pool=\"linux\"} 5\n",
                           "ghscale_launches_total{market=\"spot\",result=\"ok\"} 2\n", "ghscale_terminations_total{reason=\"scale_in\"} 1\n",
                           "ghscale_job_queue_wait_seconds_bucket{le=\"30\"} 1\n", "ghscale_job_queue_wait_seconds_bucket{le=\"10\"} 0\n",
                           "ghscale_job_queue_wait_seconds_count 1\n", "ghscale_reconcile_duration_seconds_bucket{le=\"+Inf\"} 1\n",
                           "# TYPE ghscale_job_queue_wait_seconds histogram\n"}) {
    EXPECT_NE(t.find(line), std::string::npos) << line << "\n" << t;
  }
}

TEST(Status, JsonCarriesCountsActionsAndLease) {
  ScalerStatus s;
  s.holder = "host:1";
  s.lease_holder = "host:1";
  s.acting = true;
  PoolStatus p;
  p.name = "linux";
  p.counts.desired = 3;
  p.counts.on_demand = 1;
  p.counts.spot = 2;
  p.notes = {"cooldown: 5000ms left of 60000ms"};
  Action a;
  a.id = 7;
  a.kind = ActionKind::kScaleOut;
  a.count = 2;
  a.reason = "demand";
  a.result = "ok";
  p.last_actions.push_back(a);
  s.pools.push_back(p);
  const std::string j = to_json(s);
  for (const char* part : {"\"lease_holder\":\"host:1\"", "\"acting\":true", "\"desired\":3", "\"on_demand\":1", "\"spot\":2",
                           "\"kind\":\"scale_out\"", "\"last_pass\":null", "cooldown: 5000ms"}) {
    EXPECT_NE(j.find(part), std::string::npos) << part << "\n" << j;
  }
}

TEST(TokenBucketTest, RefillsAtTheRateUpToTheBurst) {
  TokenBucket b(2.0, 5);
  const TimePoint t0 = TimePoint{std::chrono::hours(1)};
  EXPECT_EQ(b.available(t0), 5);
  b.take(5, t0);
  EXPECT_EQ(b.available(t0), 0);
  EXPECT_EQ(b.available(t0 + 1s), 2);
  EXPECT_EQ(b.available(t0 + 10s), 5);
}

}  // namespace
}  // namespace ghscale::scaler
