// The simulator's outputs: a table for people, JSON for tools, CSV of the time series.
#include <boost/json.hpp>

#include <cstdio>

#include "sandbox/simulator.h"

namespace ghscale::sandbox {
namespace json = boost::json;
namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string pad(const std::string& s, std::size_t width) { return s.size() >= width ? s : std::string(width - s.size(), ' ') + s; }

}  // namespace

std::string format_table(const std::vector<PolicyResult>& results) {
  struct Row {
    const char* name;
    std::string (*value)(const PolicyResult&);
  };
  static const Row rows[] = {
      {"jobs", [](const PolicyResult& r) { return std::to_string(r.jobs); }},
      {"completed (re-runs incl.)", [](const PolicyResult& r) { return std::to_string(r.completed); }},
      {"unfinished", [](const PolicyResult& r) { return std::to_string(r.unfinished); }},
      {"unmatched (no pool)", [](const PolicyResult& r) { return std::to_string(r.unmatched); }},
      {"held (needs not done)", [](const PolicyResult& r) { return std::to_string(r.held); }},
      {"skipped (a need failed)", [](const PolicyResult& r) { return std::to_string(r.skipped); }},
      {"re-runs (lost jobs)", [](const PolicyResult& r) { return std::to_string(r.reruns); }},
      {"queue wait p50 (s)", [](const PolicyResult& r) { return fmt("%.1f", r.wait_p50); }},
      {"queue wait p90 (s)", [](const PolicyResult& r) { return fmt("%.1f", r.wait_p90); }},
      {"queue wait p95 (s)", [](const PolicyResult& r) { return fmt("%.1f", r.wait_p95); }},
      {"queue wait p99 (s)", [](const PolicyResult& r) { return fmt("%.1f", r.wait_p99); }},
      {"queue wait max (s)", [](const PolicyResult& r) { return fmt("%.1f", r.wait_max); }},
      {"on-demand instance-hours", [](const PolicyResult& r) { return fmt("%.1f", r.on_demand_hours); }},
      {"spot instance-hours", [](const PolicyResult& r) { return fmt("%.1f", r.spot_hours); }},
      {"on-demand cost ($)", [](const PolicyResult& r) { return fmt("%.2f", r.on_demand_cost); }},
      {"spot cost ($)", [](const PolicyResult& r) { return fmt("%.2f", r.spot_cost); }},
      {"total cost ($)", [](const PolicyResult& r) { return fmt("%.2f", r.cost()); }},
      {"idle fraction", [](const PolicyResult& r) { return fmt("%.3f", r.idle_fraction); }},
      {"busy terminations", [](const PolicyResult& r) { return std::to_string(r.busy_terminations); }},
      {"spot interruptions", [](const PolicyResult& r) { return std::to_string(r.interruptions); }},
      {"instances launched", [](const PolicyResult& r) { return std::to_string(r.instances_launched); }},
      {"GitHub API calls", [](const PolicyResult& r) { return std::to_string(r.github_calls); }},
      {"GitHub calls / job", [](const PolicyResult& r) { return fmt("%.2f", r.github_calls_per_job); }},
      {"GitHub quota calls", [](const PolicyResult& r) { return std::to_string(r.github_quota_calls); }},
      {"GitHub quota calls / job", [](const PolicyResult& r) { return fmt("%.2f", r.github_quota_calls_per_job); }},
      {"cloud API calls", [](const PolicyResult& r) { return std::to_string(r.cloud_calls); }},
      {"scaler passes", [](const PolicyResult& r) { return std::to_string(r.passes); }},
      {"simulated (h)", [](const PolicyResult& r) { return fmt("%.2f", std::chrono::duration<double, std::ratio<3600>>(r.simulated).count()); }},
      {"wall time (s)", [](const PolicyResult& r) { return fmt("%.2f", r.wall_seconds); }},
  };
  constexpr std::size_t kFirst = 26;
  std::size_t kColumn = 14;  // wider for long policy names (ghscale-warm:0.5)
  for (const auto& r : results) kColumn = std::max(kColumn, r.policy.size() + 2);
  std::string out = std::string("policy") + std::string(kFirst - 6, ' ');
  for (const auto& r : results) out += pad(r.policy, kColumn);
  out += '\n';
  for (const Row& row : rows) {
    std::string line = row.name;
    line.resize(kFirst, ' ');
    for (const auto& r : results) line += pad(row.value(r), kColumn);
    out += line + '\n';
  }
  return out;
}

namespace {

// {"le_seconds":[10,30,…,null],"jobs":[…]}: null is the bucket above every edge.
json::object wait_histogram_json(const PolicyResult& r) {
  json::array edges, jobs;
  for (double e : kWaitBucketEdges) edges.push_back(e);
  edges.push_back(nullptr);
  for (std::int64_t n : r.wait_histogram) jobs.push_back(n);
  return json::object{{"le_seconds", std::move(edges)}, {"jobs", std::move(jobs)}};
}

}  // namespace

std::string format_json(const std::vector<PolicyResult>& results) {
  json::array arr;
  for (const auto& r : results) {
    arr.push_back(json::object{
        {"policy", r.policy},
        {"jobs", r.jobs},
        {"completed", r.completed},
        {"unfinished", r.unfinished},
        {"unmatched", r.unmatched},
        {"held", r.held},
        {"skipped", r.skipped},
        {"reruns", r.reruns},
        {"queue_wait_seconds", json::object{{"p50", r.wait_p50}, {"p90", r.wait_p90}, {"p95", r.wait_p95}, {"p99", r.wait_p99}, {"max", r.wait_max}}},
        {"queue_wait_histogram", wait_histogram_json(r)},
        {"instance_hours", json::object{{"on_demand", r.on_demand_hours}, {"spot", r.spot_hours}}},
        {"cost_usd", json::object{{"on_demand", r.on_demand_cost}, {"spot", r.spot_cost}, {"total", r.cost()}}},
        {"idle_fraction", r.idle_fraction},
        {"busy_terminations", r.busy_terminations},
        {"spot_interruptions", r.interruptions},
        {"instances_launched", r.instances_launched},
        {"github_api_calls", r.github_calls},
        {"github_quota_calls", r.github_quota_calls},
        {"github_calls_per_job", r.github_calls_per_job},
        {"github_quota_calls_per_job", r.github_quota_calls_per_job},
        {"cloud_api_calls", r.cloud_calls},
        {"scaler_passes", r.passes},
        {"simulated_seconds", std::chrono::duration<double>(r.simulated).count()},
        {"wall_seconds", r.wall_seconds},
    });
  }
  return json::serialize(json::object{{"policies", std::move(arr)}}) + "\n";
}

std::string format_series_csv(const std::vector<PolicyResult>& results) {
  std::string out = "policy,minute,queued,running,idle,booting\n";
  for (const auto& r : results) {
    for (const auto& s : r.series) {
      out += r.policy + "," + std::to_string(std::chrono::duration_cast<std::chrono::minutes>(s.at).count()) + "," +
             std::to_string(s.queued) + "," + std::to_string(s.running) + "," + std::to_string(s.idle) + "," +
             std::to_string(s.booting) + "\n";
    }
  }
  return out;
}

}  // namespace ghscale::sandbox
