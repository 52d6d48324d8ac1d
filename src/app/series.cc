#include "app/series.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

namespace ghscale::app {

namespace json = boost::json;

double histogram_quantile(const scaler::HistogramSnapshot& h, double q) {
  if (h.count == 0 || h.bounds.empty()) return 0.0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(h.count);
  double below = 0;  // observations in the buckets before this one
  double lower = 0;  // this bucket's lower edge (waits are never negative)
  for (std::size_t i = 0; i < h.bounds.size() && i < h.counts.size(); ++i) {
    const double in = static_cast<double>(h.counts[i]);
    if (in > 0 && below + in >= rank) return lower + (h.bounds[i] - lower) * ((rank - below) / in);
    below += in;
    lower = h.bounds[i];
  }
  return h.bounds.back();  // in the overflow: nothing tells how far past the last bound
}

Series::Series(SeriesOptions options) : options_(std::move(options)) {}

provider::InstancePrice Series::price_of(const std::string& type) const {
  if (auto it = options_.prices.find(type); it != options_.prices.end()) return it->second;
  if (auto it = options_.prices.find("default"); it != options_.prices.end()) return it->second;
  return {};
}

void Series::record(const SeriesInput& input) {
  std::lock_guard lock(mu_);
  const std::int64_t at = to_unix_ms(input.at);
  for (const auto& p : input.pools) {
    auto [it, fresh] = pools_.try_emplace(p.name);
    PoolRing& ring = it->second;
    if (fresh || ring.instance_type != p.instance_type) {
      ring.instance_type = p.instance_type;
      ring.price = price_of(p.instance_type.empty() ? "default" : p.instance_type);
    }
    const double od_per_hour = p.counts.on_demand * ring.price.on_demand;
    const double spot_per_hour = p.counts.spot * ring.price.spot;
    // Instance-hours since the last sample, at the counts seen now: the sampling interval
    // bounds the error, and every instance is billed while it lives, booting included.
    if (!fresh && input.at > ring.last) {
      const double hours = std::chrono::duration<double, std::ratio<3600>>(input.at - ring.last).count();
      ring.on_demand_cost += od_per_hour * hours;
      ring.spot_cost += spot_per_hour * hours;
    }
    ring.last = input.at;
    ring.samples.push_back({at, p.counts, od_per_hour + spot_per_hour, ring.on_demand_cost + ring.spot_cost});
    while (ring.samples.size() > options_.capacity) ring.samples.pop_front();
  }
  ScalerSample s;
  s.at = at;
  // The first sample has no interval before it: the counters' increase is unknown, not
  // everything counted before the dashboard started.
  if (!first_) {
    s.launches = input.launches_total - std::min(input.launches_total, last_launches_);
    s.terminations = input.terminations_total - std::min(input.terminations_total, last_terminations_);
  }
  first_ = false;
  last_launches_ = input.launches_total;
  last_terminations_ = input.terminations_total;
  s.wait_p50 = histogram_quantile(input.queue_wait, 0.5);
  s.wait_p95 = histogram_quantile(input.queue_wait, 0.95);
  scaler_.push_back(s);
  while (scaler_.size() > options_.capacity) scaler_.pop_front();
  queue_wait_ = input.queue_wait;
  rate_limits_ = input.rate_limits;
  now_ = input.at;
}

namespace {

template <class T, class F>
json::array column(const std::deque<T>& samples, F field) {
  json::array out;
  out.reserve(samples.size());
  for (const auto& s : samples) out.emplace_back(field(s));
  return out;
}

// Cents are what a dashboard shows; more digits are noise in the JSON.
double money(double v) {
  return std::round(v * 1e6) / 1e6;
}

}  // namespace

std::string Series::to_json() const {
  std::lock_guard lock(mu_);
  json::object root;
  root["every_ms"] = options_.every.count();
  root["capacity"] = options_.capacity;
  root["now"] = to_unix_ms(now_);
  json::array pools;
  for (const auto& [name, ring] : pools_) {
    json::object p;
    p["name"] = name;
    p["instance_type"] = ring.instance_type.empty() ? "default" : ring.instance_type;
    p["price"] = {{"on_demand", ring.price.on_demand}, {"spot", ring.price.spot}};
    p["on_demand_cost"] = money(ring.on_demand_cost);
    p["spot_cost"] = money(ring.spot_cost);
    p["cost_total"] = money(ring.on_demand_cost + ring.spot_cost);
    p["cost_per_hour"] = ring.samples.empty() ? 0.0 : money(ring.samples.back().cost_per_hour);
    json::object s;
    s["at"] = column(ring.samples, [](const PoolSample& x) { return x.at; });
    s["queued"] = column(ring.samples, [](const PoolSample& x) { return x.counts.queued; });
    s["booting"] = column(ring.samples, [](const PoolSample& x) { return x.counts.booting; });
    s["idle"] = column(ring.samples, [](const PoolSample& x) { return x.counts.idle; });
    s["busy"] = column(ring.samples, [](const PoolSample& x) { return x.counts.busy; });
    s["desired"] = column(ring.samples, [](const PoolSample& x) { return x.counts.desired; });
    s["on_demand"] = column(ring.samples, [](const PoolSample& x) { return x.counts.on_demand; });
    s["spot"] = column(ring.samples, [](const PoolSample& x) { return x.counts.spot; });
    s["cost_per_hour"] = column(ring.samples, [](const PoolSample& x) { return money(x.cost_per_hour); });
    s["cost_total"] = column(ring.samples, [](const PoolSample& x) { return money(x.cost_total); });
    p["samples"] = std::move(s);
    pools.emplace_back(std::move(p));
  }
  root["pools"] = std::move(pools);
  json::object sc;
  sc["at"] = column(scaler_, [](const ScalerSample& x) { return x.at; });
  sc["launches"] = column(scaler_, [](const ScalerSample& x) { return x.launches; });
  sc["terminations"] = column(scaler_, [](const ScalerSample& x) { return x.terminations; });
  sc["wait_p50"] = column(scaler_, [](const ScalerSample& x) { return x.wait_p50; });
  sc["wait_p95"] = column(scaler_, [](const ScalerSample& x) { return x.wait_p95; });
  root["scaler"] = std::move(sc);
  json::object qw;
  qw["count"] = queue_wait_.count;
  qw["sum"] = queue_wait_.sum;
  qw["p50"] = histogram_quantile(queue_wait_, 0.5);
  qw["p90"] = histogram_quantile(queue_wait_, 0.9);
  qw["p99"] = histogram_quantile(queue_wait_, 0.99);
  json::array buckets;
  for (std::size_t i = 0; i < queue_wait_.bounds.size() && i < queue_wait_.counts.size(); ++i) {
    buckets.push_back(json::object{{"le", queue_wait_.bounds[i]}, {"count", queue_wait_.counts[i]}});
  }
  if (!queue_wait_.bounds.empty()) buckets.push_back(json::object{{"le", nullptr}, {"count", queue_wait_.overflow}});
  qw["buckets"] = std::move(buckets);
  root["queue_wait"] = std::move(qw);
  json::array limits;
  for (const auto& b : rate_limits_) {
    limits.push_back(json::object{{"resource", b.resource},
                                  {"limit", b.limit},
                                  {"remaining", b.remaining},
                                  {"used", b.used},
                                  {"reset", to_unix_ms(b.reset)}});
  }
  root["rate_limits"] = std::move(limits);
  return json::serialize(root);
}

SeriesSampler::SeriesSampler(std::shared_ptr<Series> series, std::shared_ptr<Clock> clock,
                             std::function<SeriesInput()> collect)
    : series_(std::move(series)), clock_(std::move(clock)), collect_(std::move(collect)) {
  thread_ = std::thread([this] { run(); });
}

SeriesSampler::~SeriesSampler() {
  stop();
}

void SeriesSampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SeriesSampler::run() {
  const auto wait = std::max<Duration>(clock_->real_time(series_->options().every), std::chrono::seconds(1));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    series_->record(collect_());
    lock.lock();
    wake_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

}  // namespace ghscale::app
