// The dashboard's memory: what the scaler looked like every few seconds over the last
// hours, per pool, in a bounded ring (a daemon runs for months; the ring never grows past
// its capacity), plus what has no history worth keeping (the queue-wait histogram so
// far, GitHub's rate-limit buckets now). Served as GET /api/v1/series. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "github/types.h"
#include "provider/sim/sim_cloud.h"
#include "scaler/metrics.h"
#include "scaler/plan.h"

namespace ghscale::app {

struct SeriesOptions {
  Duration every = std::chrono::seconds(5);  // on the daemon's clock
  std::size_t capacity = 2880;               // samples per pool: 4 hours at 5 s
  // Dollars per instance-hour by instance type; "default" for types not listed.
  std::map<std::string, provider::InstancePrice, std::less<>> prices = provider::default_price_table();
};

// One look at the daemon, taken by the sampler.
struct SeriesInput {
  struct Pool {
    std::string name;
    std::string instance_type;  // prices the pool's instances; empty = "default"
    scaler::PoolCounts counts;
  };
  TimePoint at{};
  std::vector<Pool> pools;
  std::uint64_t launches_total = 0;      // cumulative, as ScalerMetrics counts them
  std::uint64_t terminations_total = 0;  // cumulative
  scaler::HistogramSnapshot queue_wait;  // cumulative
  std::vector<github::RateLimitBucket> rate_limits;
};

// Estimates quantile q (0..1) of a histogram by linear interpolation inside the bucket it
// falls in; observations past the last bound count as the last bound (a floor). 0 when empty.
double histogram_quantile(const scaler::HistogramSnapshot& h, double q);

class Series {
 public:
  explicit Series(SeriesOptions options = {});

  void record(const SeriesInput& input);
  // {"every_ms","capacity","now","pools":[{"name","instance_type","price":{"on_demand","spot"},
  //   "cost_total","on_demand_cost","spot_cost","cost_per_hour",
  //   "samples":{"at":[..],"queued":[..],"booting":[..],"idle":[..],"busy":[..],"desired":[..],
  //              "on_demand":[..],"spot":[..],"cost_per_hour":[..],"cost_total":[..]}}],
  //  "scaler":{"at":[..],"launches":[..],"terminations":[..],"wait_p50":[..],"wait_p95":[..]},
  //  "queue_wait":{"count","sum","p50","p90","p99","buckets":[{"le":s|null,"count":n}]},
  //  "rate_limits":[{"resource","limit","remaining","used","reset"}]}
  // launches and terminations are per interval (the counters' increase since the sample before).
  std::string to_json() const;
  const SeriesOptions& options() const { return options_; }

 private:
  struct PoolSample {
    std::int64_t at = 0;
    scaler::PoolCounts counts;
    double cost_per_hour = 0, cost_total = 0;
  };
  struct PoolRing {
    std::string instance_type;
    provider::InstancePrice price;
    std::deque<PoolSample> samples;
    TimePoint last{};
    double on_demand_cost = 0, spot_cost = 0;  // since the daemon started, never trimmed
  };
  struct ScalerSample {
    std::int64_t at = 0;
    std::uint64_t launches = 0, terminations = 0;
    double wait_p50 = 0, wait_p95 = 0;
  };
  provider::InstancePrice price_of(const std::string& type) const;

  const SeriesOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, PoolRing> pools_;                    // guarded by mu_
  std::deque<ScalerSample> scaler_;                          // guarded by mu_
  std::uint64_t last_launches_ = 0, last_terminations_ = 0;  // guarded by mu_
  bool first_ = true;                                        // guarded by mu_
  scaler::HistogramSnapshot queue_wait_;                     // guarded by mu_
  std::vector<github::RateLimitBucket> rate_limits_;         // guarded by mu_
  TimePoint now_{};                                          // guarded by mu_
};

// Takes a sample at once, then every options().every of the clock (at most once a real
// second, so a sandbox clock running 60× fast does not spin), until destroyed.
class SeriesSampler {
 public:
  SeriesSampler(std::shared_ptr<Series> series, std::shared_ptr<Clock> clock, std::function<SeriesInput()> collect);
  ~SeriesSampler();
  void stop();

 private:
  void run();
  std::shared_ptr<Series> series_;
  std::shared_ptr<Clock> clock_;
  std::function<SeriesInput()> collect_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ghscale::app
