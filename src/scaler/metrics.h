// The scaler's Prometheus metrics: pool gauges, launch and termination counters, the
// job queue wait and reconcile duration histograms. Rendered as Prometheus text for
// GET /metrics. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/instance.h"
#include "scaler/plan.h"

namespace ghscale::scaler {

// A histogram's contents at one moment: counts per bound (not cumulative), and those
// above the last bound.
struct HistogramSnapshot {
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;
  std::uint64_t overflow = 0;
  std::uint64_t count = 0;
  double sum = 0;
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}
  void observe(double v);
  HistogramSnapshot snapshot() const;
  // Appends the _bucket/_sum/_count lines of `name` (HELP and TYPE written by the caller).
  void append(std::string& out, const std::string& name) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bound, not cumulative
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

class ScalerMetrics {
 public:
  ScalerMetrics();
  void launched(Market market, bool ok, int n);  // n < 0 is ignored
  // Instances the cloud placed in the other market than asked.
  void launch_market_mismatch(int n);
  void terminated(std::string_view reason, int n = 1);
  void unmatched_job();
  void reused();  // a busy instance handed its next registration (reuse)
  // A spot instance vanished while its runner had a job (the job is re-run by its user
  // and the scaler replaces the capacity).
  void spot_interruption();
  void queue_wait(double seconds);
  void reconcile_duration(double seconds);
  void set_pool(const std::string& pool, const PoolCounts& counts);

  // Prometheus text exposition format 0.0.4.
  void append_prometheus(std::string& out) const;
  std::string prometheus() const {
    std::string s;
    append_prometheus(s);
    return s;
  }

  // Read-only views for the dashboard's series (app/series.h).
  HistogramSnapshot queue_wait_snapshot() const;
  std::map<std::string, PoolCounts> pool_counts() const;  // as the last pass of each pool set them
  std::uint64_t launches_total() const;      // instances launched, both markets, successful
  std::uint64_t terminations_total() const;  // every reason

  // For tests.
  std::uint64_t launches(Market market, bool ok) const;
  std::uint64_t terminations(std::string_view reason) const;
  std::uint64_t spot_interruptions() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, PoolCounts> pools_;                      // guarded by mu_
  std::map<std::pair<std::string, std::string>, std::uint64_t> launches_;  // {market, result}
  std::map<std::string, std::uint64_t, std::less<>> terminations_;         // reason
  std::uint64_t unmatched_ = 0;
  std::uint64_t reused_ = 0;
  std::uint64_t market_mismatch_ = 0;
  std::uint64_t spot_interruptions_ = 0;
  Histogram queue_wait_;
  Histogram reconcile_;
};

}  // namespace ghscale::scaler
