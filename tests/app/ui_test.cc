// The dashboard's pieces without a browser: the series ring (bounded, costs integrated
// from instance-hours, counters turned into per-sample increases, percentiles from the
// histogram), and /ui under the status API's access rule. tests/browser drives the page.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <future>

#include "app/routes.h"
#include "app/series.h"
#include "app/ui_assets.h"
#include "app/ui_routes.h"
#include "app/routes_fixture.h"
#include "store/memory_store.h"

namespace ghscale::app {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

scaler::HistogramSnapshot histogram(std::vector<double> bounds, std::vector<std::uint64_t> counts,
                                    std::uint64_t overflow) {
  scaler::HistogramSnapshot h;
  h.bounds = std::move(bounds);
  h.counts = std::move(counts);
  h.overflow = overflow;
  for (auto c : h.counts) h.count += c;
  h.count += overflow;
  return h;
}

TEST(HistogramQuantile, InterpolatesInsideTheBucketAndFloorsTheOverflow) {
  EXPECT_EQ(histogram_quantile(histogram({10, 20}, {0, 0}, 0), 0.5), 0.0);
  // 10 waits in (0,10], 10 in (10,20]: the median is the top of the first bucket.
  const auto h = histogram({10, 20}, {10, 10}, 0);
  EXPECT_DOUBLE_EQ(histogram_quantile(h, 0.5), 10.0);
  EXPECT_DOUBLE_EQ(histogram_quantile(h, 0.75), 15.0);
  EXPECT_DOUBLE_EQ(histogram_quantile(h, 0.25), 5.0);
  EXPECT_DOUBLE_EQ(histogram_quantile(histogram({10, 20}, {1, 0}, 9), 0.9), 20.0);
}

SeriesInput input(TimePoint at, int on_demand, int spot, std::uint64_t launches) {
  SeriesInput in;
  in.at = at;
  scaler::PoolCounts c;
  c.on_demand = on_demand;
  c.spot = spot;
  c.busy = on_demand + spot;
  c.queued = 3;
  in.pools.push_back({"linux", "m7i.large", c});
  in.launches_total = launches;
  in.queue_wait = histogram({10, 20}, {4, 0}, 0);
  in.rate_limits.push_back({"core", 5000, 4990, 10, at + 1h});
  return in;
}

TEST(Series, CostIsInstanceHoursTimesThePriceTable) {
  SeriesOptions o;
  o.prices = {{"m7i.large", {1.0, 0.25}}, {"default", {9, 9}}};
  Series s(o);
  const TimePoint t0 = from_unix_ms(1'800'000'000'000);
  s.record(input(t0, 2, 4, 7));           // the first sample: nothing billed before it
  s.record(input(t0 + 30min, 2, 4, 10));  // half an hour of 2 on-demand and 4 spot
  s.record(input(t0 + 60min, 0, 0, 10));
  const json::value v = json::parse(s.to_json());
  const auto& pool = v.at("pools").at(0);
  EXPECT_EQ(pool.at("name").as_string(), "linux");
  EXPECT_DOUBLE_EQ(pool.at("on_demand_cost").to_number<double>(), 2 * 1.0 * 0.5 + 0.0);
  EXPECT_DOUBLE_EQ(pool.at("spot_cost").to_number<double>(), 4 * 0.25 * 0.5);
  EXPECT_DOUBLE_EQ(pool.at("cost_per_hour").to_number<double>(), 0.0);
  const auto& per_hour = pool.at("samples").at("cost_per_hour").as_array();
  ASSERT_EQ(per_hour.size(), 3u);
  EXPECT_DOUBLE_EQ(per_hour[0].to_number<double>(), 3.0);  // 2 × 1.0 + 4 × 0.25
  // The counters' increase per sample; the first has no interval before it.
  const auto& launches = v.at("scaler").at("launches").as_array();
  EXPECT_EQ(launches[0].to_number<int>(), 0);
  EXPECT_EQ(launches[1].to_number<int>(), 3);
  EXPECT_EQ(launches[2].to_number<int>(), 0);
  EXPECT_EQ(v.at("queue_wait").at("count").to_number<int>(), 4);
  EXPECT_EQ(v.at("queue_wait").at("buckets").as_array().size(), 3u);  // two bounds and the overflow
  EXPECT_EQ(v.at("rate_limits").at(0).at("remaining").to_number<int>(), 4990);
}

TEST(Series, TheRingNeverGrowsPastItsCapacity) {
  SeriesOptions o;
  o.capacity = 5;
  Series s(o);
  const TimePoint t0 = from_unix_ms(1'800'000'000'000);
  for (int i = 0; i < 12; ++i) s.record(input(t0 + i * 5s, 1, 0, 0));
  const json::value v = json::parse(s.to_json());
  const auto& at = v.at("pools").at(0).at("samples").at("at").as_array();
  ASSERT_EQ(at.size(), 5u);
  EXPECT_EQ(at.back().to_number<std::int64_t>(), to_unix_ms(t0 + 11 * 5s));
  EXPECT_EQ(v.at("scaler").at("at").as_array().size(), 5u);
  // The total cost covers the whole run, not only what the ring still holds.
  EXPECT_NEAR(v.at("pools").at(0).at("cost_total").to_number<double>(), 0.1008 * 55.0 / 3600, 1e-6);
}

TEST(SeriesSampler, SamplesAtOnceAndStopsWhenAsked) {
  auto series = std::make_shared<Series>();
  auto clock = std::make_shared<ManualClock>();
  std::promise<void> sampled;
  bool first = true;
  {
    SeriesSampler sampler(series, clock, [&] {
      if (first) {
        first = false;
        sampled.set_value();
      }
      return input(clock->now(), 1, 1, 0);
    });
    ASSERT_EQ(sampled.get_future().wait_for(10s), std::future_status::ready);
  }  // the destructor stops it: no hang
  const json::value v = json::parse(series->to_json());
  EXPECT_GE(v.at("pools").at(0).at("samples").at("at").as_array().size(), 1u);
}

class UiRoutesTest : public testing::RoutesFixture {};

TEST_F(UiRoutesTest, ThePageAndItsFilesComeFromTheBinary) {
  const http::Response page = get("/ui", "127.0.0.1");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/ui/dashboard.js"), std::string::npos);
  EXPECT_NE(page.headers.get("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(get("/ui/", "127.0.0.1").body, page.body);
  EXPECT_EQ(get("/ui/dashboard.js", "127.0.0.1").headers.get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/ui/dashboard.css", "127.0.0.1").headers.get("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(get("/ui/nothing.js", "127.0.0.1").status, 404);
  EXPECT_EQ(get("/uix", "127.0.0.1").status, 404);
  for (const auto& asset : ui_assets()) EXPECT_FALSE(asset.body.empty()) << asset.name;
}

TEST_F(UiRoutesTest, ThePageMovesWithServerUiPathAndCanBeTurnedOff) {
  cfg_.server.ui_path = "/ops/dashboard";
  const http::Response page = get("/ops/dashboard", "127.0.0.1");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("\"/ops/dashboard/dashboard.js\""), std::string::npos) << "the page names its files under its path";
  EXPECT_NE(page.body.find("\"/ops/dashboard/dashboard.css\""), std::string::npos);
  EXPECT_EQ(page.body.find("\"/ui/"), std::string::npos);
  EXPECT_EQ(get("/ops/dashboard/dashboard.js", "127.0.0.1").status, 200);
  EXPECT_EQ(get("/ui", "127.0.0.1").status, 404);
  EXPECT_EQ(get("/ops/dashboard", "203.0.113.7").status, 403);  // the access rule follows it
  cfg_.server.ui_path.clear();
  EXPECT_EQ(get("/ui", "127.0.0.1").status, 404);
  EXPECT_EQ(get("/api/v1/status", "127.0.0.1").status, 200);  // the status API stays
}

TEST_F(UiRoutesTest, TheDashboardFollowsTheStatusApisAccessRule) {
  EXPECT_EQ(get("/ui", "203.0.113.7").status, 403);
  EXPECT_EQ(get("/ui/dashboard.js", "203.0.113.7").status, 403);
  routes_.set_status_token("s3cret-status-token");
  EXPECT_EQ(get("/ui", "127.0.0.1").status, 401);
  EXPECT_EQ(get("/ui", "203.0.113.7", "Bearer s3cret-status-token").status, 200);
}

TEST_F(UiRoutesTest, TheSeriesAreServedOnceSet) {
  EXPECT_EQ(get("/api/v1/series", "127.0.0.1").status, 404);  // a daemon without pools samples nothing
  auto series = std::make_shared<Series>();
  series->record(input(from_unix_ms(1'800'000'000'000), 1, 0, 0));
  routes_.set_series(series);
  const http::Response r = get("/api/v1/series", "127.0.0.1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("pools").at(0).at("name").as_string(), "linux");
  EXPECT_EQ(get("/api/v1/series", "203.0.113.7").status, 403);
}

}  // namespace
}  // namespace ghscale::app
