#include "scaler/metrics.h"

#include <cstdio>

namespace ghscale::scaler {
namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// Pool names come from config (validated), but escape anyway: a label value is quoted text.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void Histogram::observe(double v) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) {
      ++counts_[i];
      break;
    }
  }
  ++count_;
  sum_ += v;
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s{bounds_, counts_, 0, count_, sum_};
  std::uint64_t within = 0;
  for (auto c : counts_) within += c;
  s.overflow = count_ - within;
  return s;
}

void Histogram::append(std::string& out, const std::string& name) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{le=\"" + number(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + number(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

ScalerMetrics::ScalerMetrics()
    : queue_wait_({1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}),
      reconcile_({0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}) {}

void ScalerMetrics::launched(Market market, bool ok, int n) {
  if (n < 0) return;  // a counter never goes down, nor wraps
  std::lock_guard lock(mu_);
  launches_[{std::string(to_string(market)), ok ? "ok" : "error"}] += static_cast<std::uint64_t>(n);
}

void ScalerMetrics::terminated(std::string_view reason, int n) {
  std::lock_guard lock(mu_);
  auto it = terminations_.find(reason);
  if (it == terminations_.end()) it = terminations_.emplace(std::string(reason), 0).first;
  it->second += static_cast<std::uint64_t>(n);
}

void ScalerMetrics::spot_interruption() {
  std::lock_guard lock(mu_);
  ++spot_interruptions_;
}

std::uint64_t ScalerMetrics::spot_interruptions() const {
  std::lock_guard lock(mu_);
  return spot_interruptions_;
}

void ScalerMetrics::launch_market_mismatch(int n) {
  if (n <= 0) return;
  std::lock_guard lock(mu_);
  market_mismatch_ += static_cast<std::uint64_t>(n);
}

void ScalerMetrics::unmatched_job() {
  std::lock_guard lock(mu_);
  ++unmatched_;
}

void ScalerMetrics::reused() {
  std::lock_guard lock(mu_);
  ++reused_;
}

void ScalerMetrics::queue_wait(double seconds) {
  std::lock_guard lock(mu_);
  queue_wait_.observe(seconds);
}

void ScalerMetrics::reconcile_duration(double seconds) {
  std::lock_guard lock(mu_);
  reconcile_.observe(seconds);
}

void ScalerMetrics::set_pool(const std::string& pool, const PoolCounts& counts) {
  std::lock_guard lock(mu_);
  pools_[pool] = counts;
}

std::uint64_t ScalerMetrics::launches(Market market, bool ok) const {
  std::lock_guard lock(mu_);
  auto it = launches_.find({std::string(to_string(market)), ok ? "ok" : "error"});
  return it == launches_.end() ? 0 : it->second;
}

std::map<std::string, PoolCounts> ScalerMetrics::pool_counts() const {
  std::lock_guard lock(mu_);
  return pools_;
}

HistogramSnapshot ScalerMetrics::queue_wait_snapshot() const {
  std::lock_guard lock(mu_);
  return queue_wait_.snapshot();
}

std::uint64_t ScalerMetrics::launches_total() const {
  std::lock_guard lock(mu_);
  std::uint64_t n = 0;
  for (const auto& [key, count] : launches_) {
    if (key.second == "ok") n += count;
  }
  return n;
}

std::uint64_t ScalerMetrics::terminations_total() const {
  std::lock_guard lock(mu_);
  std::uint64_t n = 0;
  for (const auto& [reason, count] : terminations_) n += count;
  return n;
}

std::uint64_t ScalerMetrics::terminations(std::string_view reason) const {
  std::lock_guard lock(mu_);
  auto it = terminations_.find(reason);
  return it == terminations_.end() ? 0 : it->second;
}

void ScalerMetrics::append_prometheus(std::string& out) const {
  std::lock_guard lock(mu_);
  struct Gauge {
    const char* name;
    const char* help;
    int PoolCounts::*field;
  };
  static const Gauge kGauges[] = {
      {"ghscale_pool_desired_runners", "Runners the pool should have: busy plus demand, capped at max_runners.", &PoolCounts::desired},
      {"ghscale_pool_running_runners", "Live instances of the pool, whatever their state.", &PoolCounts::running},
      {"ghscale_pool_idle_runners", "Registered runners of the pool without a job.", &PoolCounts::idle},
      {"ghscale_pool_busy_runners", "Runners of the pool running a job.", &PoolCounts::busy},
      {"ghscale_pool_booting_runners", "Instances of the pool launched and not yet registered.", &PoolCounts::booting},
  };
  for (const auto& g : kGauges) {
    header(out, g.name, "gauge", g.help);
    for (const auto& [pool, c] : pools_) out += std::string(g.name) + "{pool=\"" + label_value(pool) + "\"} " + std::to_string(c.*g.field) + "\n";
  }
  header(out, "ghscale_jobs_queued", "gauge", "Queued jobs not yet picked up, per pool.");
  for (const auto& [pool, c] : pools_) out += "ghscale_jobs_queued{pool=\"" + label_value(pool) + "\"} " + std::to_string(c.queued) + "\n";
  header(out, "ghscale_jobs_unmatched_total", "counter", "Queued jobs no pool's labels match (never launched for).");
  out += "ghscale_jobs_unmatched_total " + std::to_string(unmatched_) + "\n";
  header(out, "ghscale_instance_reuses_total", "counter", "Busy instances handed their next one-job registration at max_runners (reuse), instead of a launch.");
  out += "ghscale_instance_reuses_total " + std::to_string(reused_) + "\n";
  header(out, "ghscale_launch_market_mismatch_total", "counter",
         "Instances the cloud placed in another market than asked (e.g. an Auto Scaling group's own on-demand base).");
  out += "ghscale_launch_market_mismatch_total " + std::to_string(market_mismatch_) + "\n";
  header(out, "ghscale_spot_interruptions_total", "counter",
         "Spot instances that vanished while their runner had a job.");
  out += "ghscale_spot_interruptions_total " + std::to_string(spot_interruptions_) + "\n";
  header(out, "ghscale_job_queue_wait_seconds", "histogram", "Time from queued to in_progress.");
  queue_wait_.append(out, "ghscale_job_queue_wait_seconds");
  header(out, "ghscale_launches_total", "counter", "Instances launched (or failed to launch), by market and result.");
  for (const auto& [key, n] : launches_) {
    out += "ghscale_launches_total{market=\"" + key.first + "\",result=\"" + key.second + "\"} " + std::to_string(n) + "\n";
  }
  header(out, "ghscale_terminations_total", "counter", "Instances terminated, by reason.");
  for (const auto& [reason, n] : terminations_) {
    out += "ghscale_terminations_total{reason=\"" + label_value(reason) + "\"} " + std::to_string(n) + "\n";
  }
  header(out, "ghscale_reconcile_duration_seconds", "histogram", "Duration of one reconcile pass over every pool.");
  reconcile_.append(out, "ghscale_reconcile_duration_seconds");
}

}  // namespace ghscale::scaler
