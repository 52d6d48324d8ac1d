#include "sandbox/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/markup.h"

namespace ghscale::sandbox {
namespace {

std::string esc(std::string_view s) { return markup_escaped(s); }

std::string num(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Distinct on white and for the common kinds of colour blindness (Okabe-Ito).
const char* color(std::size_t i) {
  static const char* kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
  return kColors[i % std::size(kColors)];
}

// A round step for about `n` ticks up to `max`.
double nice_step(double max, int n) {
  const double raw = max / n;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

constexpr double kW = 640, kH = 240, kL = 54, kR = 12, kT = 26, kB = 46;

// Waits span from seconds to hours between policies: their axes are logarithmic, from
// 1 s (shorter waits are drawn at 1 s) to the next power of ten above the longest.
struct Frame {
  double x_max = 1, y_max = 1;
  bool log_x = false, log_y = false;
  static double lg(double v) { return std::log10(std::max(v, 1.0)); }
  double x(double v) const { return kL + (log_x ? lg(v) / lg(x_max) : v / x_max) * (kW - kL - kR); }
  double y(double v) const { return kT + (1 - (log_y ? lg(v) / lg(y_max) : v / y_max)) * (kH - kT - kB); }
};

// Linear ticks from 0, or powers of ten from 1.
std::vector<double> ticks(double& max, int n, bool log) {
  std::vector<double> out;
  if (log) {
    max = std::max(10.0, std::pow(10.0, std::ceil(std::log10(std::max(max, 1.0)))));
    for (double v = 1; v <= max * 1.001; v *= 10) out.push_back(v);
    return out;
  }
  const double step = nice_step(max > 0 ? max : 1, n);
  max = std::ceil((max > 0 ? max : 1) / step - 1e-9) * step;
  for (double v = 0; v <= max + step / 2; v += step) out.push_back(v);
  return out;
}

int digits_for(const std::vector<double>& t) {
  return t.size() > 1 && t[1] - t[0] < 1 ? 1 : 0;
}

// The chart's box: title, y grid with labels, x ticks; returns the frame to draw in.
Frame axes(std::string& out, const std::string& id, const std::string& title, double x_max, double y_max,
           const std::string& x_label, int y_digits, bool log_x = false, bool log_y = false) {
  Frame f;
  f.log_x = log_x;
  f.log_y = log_y;
  f.y_max = y_max;
  const auto yt = ticks(f.y_max, 4, log_y);
  f.x_max = x_max;
  const auto xt = ticks(f.x_max, 6, log_x);
  out += "<svg viewBox=\"0 0 " + num(kW, 0) + " " + num(kH, 0) + "\" role=\"img\" data-chart=\"" + esc(id) +
         "\" aria-label=\"" + esc(title) + "\">\n";
  out += "<text x=\"" + num(kL, 0) + "\" y=\"16\" class=\"title\">" + esc(title) + "</text>\n";
  for (double v : yt) {
    out += "<line class=\"grid\" x1=\"" + num(kL, 0) + "\" x2=\"" + num(kW - kR, 0) + "\" y1=\"" + num(f.y(v), 1) +
           "\" y2=\"" + num(f.y(v), 1) + "\"/><text class=\"axis\" text-anchor=\"end\" x=\"" + num(kL - 4, 0) +
           "\" y=\"" + num(f.y(v) + 3, 1) + "\">" + num(v, log_y ? 0 : y_digits) + "</text>\n";
  }
  if (!x_label.empty()) {
    for (double v : xt) {
      // The last label ends at the edge instead of running past it.
      const char* anchor = v == xt.back() ? "end" : "middle";
      out += "<text class=\"axis\" text-anchor=\"" + std::string(anchor) + "\" x=\"" + num(f.x(v), 1) + "\" y=\"" +
             num(kH - kB + 14, 0) + "\">" + num(v, log_x ? 0 : digits_for(xt)) + "</text>\n";
    }
    out += "<text class=\"axis\" text-anchor=\"end\" x=\"" + num(kW - kR, 0) + "\" y=\"" + num(kH - kB + 28, 0) +
           "\">" + esc(x_label) + "</text>\n";
  }
  return f;
}

struct Legend {
  std::string name;
  std::string color;
  bool dashed = false;
};

void legend(std::string& out, const std::vector<Legend>& items) {
  double x = kL;
  for (const auto& l : items) {
    out += "<rect x=\"" + num(x, 1) + "\" y=\"" + num(kH - 12, 0) + "\" width=\"12\" height=\"" +
           (l.dashed ? "2" : "4") + "\" fill=\"" + l.color + "\"/><text class=\"legend\" x=\"" + num(x + 16, 1) +
           "\" y=\"" + num(kH - 7, 0) + "\">" + esc(l.name) + "</text>\n";
    x += 30 + 6.5 * static_cast<double>(l.name.size());
  }
}

struct Line {
  std::string name;
  std::string color;
  std::vector<double> x, y;
  bool dashed = false;
  bool dots = false;
};

std::string line_chart(const std::string& id, const std::string& title, const std::vector<Line>& lines,
                       const std::string& x_label, int y_digits, bool log_x = false) {
  double x_max = 0, y_max = 0;
  for (const auto& l : lines) {
    for (double v : l.x) x_max = std::max(x_max, v);
    for (double v : l.y) y_max = std::max(y_max, v);
  }
  std::string out;
  const Frame f = axes(out, id, title, x_max, y_max, x_label, y_digits, log_x);
  std::vector<Legend> items;
  for (const auto& l : lines) {
    out += "<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"" + l.color + "\" data-series=\"" + esc(l.name) +
           "\" data-points=\"" + std::to_string(l.x.size()) + "\"" + (l.dashed ? " stroke-dasharray=\"4 3\"" : "") +
           " points=\"";
    for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
      out += num(f.x(l.x[i]), 1) + "," + num(f.y(l.y[i]), 1) + " ";
    }
    out += "\"/>\n";
    if (l.dots) {
      for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
        out += "<circle r=\"2.5\" fill=\"" + l.color + "\" cx=\"" + num(f.x(l.x[i]), 1) + "\" cy=\"" +
               num(f.y(l.y[i]), 1) + "\"/>";
      }
      out += "\n";
    }
    items.push_back({l.name, l.color, l.dashed});
  }
  legend(out, items);
  out += "</svg>\n";
  return out;
}

struct BarSeries {
  std::string name;
  std::string color;
  std::vector<double> values;  // one per category
};

// Bars per category, side by side, or stacked (e.g. on-demand + spot = the total cost).
std::string bar_chart(const std::string& id, const std::string& title, const std::vector<std::string>& categories,
                      const std::vector<BarSeries>& series, bool stacked, int y_digits, bool log_y = false) {
  double y_max = 0;
  for (std::size_t c = 0; c < categories.size(); ++c) {
    double total = 0;
    for (const auto& s : series) {
      const double v = c < s.values.size() ? s.values[c] : 0;
      total = stacked ? total + v : std::max(total, v);
    }
    y_max = std::max(y_max, total);
  }
  std::string out;
  const Frame f = axes(out, id, title, 1, y_max, "", y_digits, false, log_y);
  const double slot = (kW - kL - kR) / static_cast<double>(std::max<std::size_t>(1, categories.size()));
  const double group = slot * 0.7;
  const double bar = stacked ? group : group / static_cast<double>(std::max<std::size_t>(1, series.size()));
  for (std::size_t c = 0; c < categories.size(); ++c) {
    const double left = kL + slot * static_cast<double>(c) + (slot - group) / 2;
    double base = 0;
    for (std::size_t k = 0; k < series.size(); ++k) {
      const double v = c < series[k].values.size() ? series[k].values[c] : 0;
      const double x = stacked ? left : left + bar * static_cast<double>(k);
      const double top = f.y(base + v), bottom = f.y(base);
      out += "<rect x=\"" + num(x, 1) + "\" y=\"" + num(top, 1) + "\" width=\"" + num(bar - 1, 1) + "\" height=\"" +
             num(std::max(0.0, bottom - top), 1) + "\" fill=\"" + series[k].color + "\" data-value=\"" + num(v, 4) +
             "\"><title>" + esc(categories[c]) + " " + esc(series[k].name) + ": " + num(v, y_digits + 1) +
             "</title></rect>\n";
      if (stacked) base += v;
    }
    out += "<text class=\"axis\" text-anchor=\"middle\" x=\"" + num(left + group / 2, 1) + "\" y=\"" +
           num(kH - kB + 14, 0) + "\">" + esc(categories[c]) + "</text>\n";
  }
  std::vector<Legend> items;
  for (const auto& s : series) items.push_back({s.name, s.color});
  legend(out, items);
  out += "</svg>\n";
  return out;
}

double minutes(Duration d) {
  return std::chrono::duration<double, std::ratio<60>>(d).count();
}

// The time axis in hours past two hours of simulation, in minutes before.
struct TimeAxis {
  double divisor = 1;
  std::string label = "minutes";
};

TimeAxis time_axis(const std::vector<PolicyResult>& results) {
  double longest = 0;
  for (const auto& r : results) {
    if (!r.series.empty()) longest = std::max(longest, minutes(r.series.back().at));
  }
  if (longest > 120) return {60, "hours"};
  return {};
}

constexpr const char* kStyle = R"css(
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 1em 1.5em; color: #1d2330; }
h1 { font-size: 1.4em; margin: 0.2em 0; } h2 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
.muted { color: #5b6472; } code { background: #f1f3f6; padding: 0 0.3em; border-radius: 3px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1em; }
.card { border: 1px solid #dde1e7; border-radius: 6px; padding: 0.6em 0.8em; }
svg { width: 100%; height: auto; display: block; }
svg .title { font-size: 13px; font-weight: 600; fill: #1d2330; }
svg .axis { font-size: 10px; fill: #5b6472; } svg .legend { font-size: 11px; fill: #1d2330; }
svg .grid { stroke: #e6e9ee; stroke-width: 1; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #eef0f3; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.best { font-weight: 700; }
)css";

struct Row {
  const char* name;
  double (*value)(const PolicyResult&);
  int digits;
  int better;  // -1: lower is better, +1: higher, 0: neither (no mark)
};

}  // namespace

std::string format_html_report(const std::vector<PolicyResult>& results, const HtmlReportInfo& info) {
  std::vector<std::string> names;
  for (const auto& r : results) names.push_back(r.policy);
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>ghscale simulate: ";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + esc(names[i]);
  out += "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<h1>Scaling policies compared</h1>\n<p class=\"muted\">" + esc(info.workload) + "</p>\n";
  if (!info.command.empty()) out += "<p class=\"muted\">Made with <code>" + esc(info.command) + "</code></p>\n";

  // --- waits ---
  out += "<h2>Queue wait</h2>\n<div class=\"grid2\">\n<div class=\"card\">";
  {
    std::vector<BarSeries> bars;
    const char* labels[] = {"p50", "p90", "p95", "p99"};
    double (*fields[])(const PolicyResult&) = {
        [](const PolicyResult& r) { return r.wait_p50; }, [](const PolicyResult& r) { return r.wait_p90; },
        [](const PolicyResult& r) { return r.wait_p95; }, [](const PolicyResult& r) { return r.wait_p99; }};
    for (std::size_t i = 0; i < results.size(); ++i) {
      BarSeries s{results[i].policy, color(i), {}};
      for (auto* field : fields) s.values.push_back(field(results[i]));
      bars.push_back(std::move(s));
    }
    out += bar_chart("wait-percentiles", "Queue wait percentiles (seconds, log scale)",
                     std::vector<std::string>(std::begin(labels), std::end(labels)), bars, false, 0, true);
  }
  out += "</div>\n<div class=\"card\">";
  {
    // Only the percentiles are known, so the distribution is drawn through them: the
    // share of jobs that waited at most x seconds, from p50 to the longest wait.
    std::vector<Line> lines;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      lines.push_back({r.policy,
                       color(i),
                       {r.wait_p50, r.wait_p90, r.wait_p95, r.wait_p99, r.wait_max},
                       {50, 90, 95, 99, 100},
                       false,
                       true});
    }
    out += line_chart("wait-distribution", "Jobs that waited at most x seconds (%): p50, p90, p95, p99, max", lines,
                      "seconds (log scale)", 0, true);
  }
  out += "</div>\n<div class=\"card\">";
  {
    // Every job's wait, counted in buckets: the share of jobs in each, per policy.
    std::vector<std::string> buckets;
    double low = 0;
    for (double e : kWaitBucketEdges) {
      buckets.push_back(num(low, 0) + "–" + num(e, 0) + " s");
      low = e;
    }
    buckets.push_back("> " + num(low, 0) + " s");
    std::vector<BarSeries> bars;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      double total = 0;
      for (std::int64_t n : r.wait_histogram) total += static_cast<double>(n);
      BarSeries s{r.policy, color(i), {}};
      for (std::int64_t n : r.wait_histogram) s.values.push_back(total > 0 ? 100.0 * static_cast<double>(n) / total : 0.0);
      bars.push_back(std::move(s));
    }
    out += bar_chart("wait-histogram", "Jobs by queue wait (% of each policy's jobs)", buckets, bars, false, 0);
  }
  out += "</div>\n</div>\n";

  // --- cost and calls ---
  out += "<h2>Cost and API calls</h2>\n<div class=\"grid2\">\n<div class=\"card\">";
  {
    BarSeries od{"on-demand", "#0072B2", {}}, spot{"spot", "#56B4E9", {}};
    for (const auto& r : results) {
      od.values.push_back(r.on_demand_cost);
      spot.values.push_back(r.spot_cost);
    }
    out += bar_chart("cost", "Cost ($): on-demand and spot", names, {od, spot}, true, 2);
  }
  out += "</div>\n<div class=\"card\">";
  {
    BarSeries all{"GitHub calls / job", "#009E73", {}}, quota{"rate-limited calls / job", "#E69F00", {}};
    for (const auto& r : results) {
      all.values.push_back(r.github_calls_per_job);
      quota.values.push_back(r.github_quota_calls_per_job);
    }
    out += bar_chart("calls-per-job", "GitHub API calls per job", names, {all, quota}, false, 2);
  }
  out += "</div>\n</div>\n";

  // --- instances against demand ---
  const TimeAxis axis = time_axis(results);
  out +=
      "<h2>Instances over time against demand</h2>\n<p class=\"muted\">Demand: jobs queued or running. Instances: "
      "runners busy, idle or booting (every one of them is paid for).</p>\n<div class=\"grid2\">\n";
  {
    std::vector<Line> lines;
    for (std::size_t i = 0; i < results.size(); ++i) {
      Line l{results[i].policy, color(i), {}, {}};
      for (const auto& s : results[i].series) {
        l.x.push_back(minutes(s.at) / axis.divisor);
        l.y.push_back(s.running + s.idle + s.booting);
      }
      lines.push_back(std::move(l));
    }
    out +=
        "<div class=\"card\">" + line_chart("instances", "Instances, every policy", lines, axis.label, 0) + "</div>\n";
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    Line demand{"demand (queued + running jobs)", "#999999", {}, {}, true};
    Line instances{"instances", color(i), {}, {}};
    for (const auto& s : results[i].series) {
      const double x = minutes(s.at) / axis.divisor;
      demand.x.push_back(x);
      demand.y.push_back(s.queued + s.running);
      instances.x.push_back(x);
      instances.y.push_back(s.running + s.idle + s.booting);
    }
    out += "<div class=\"card\">" +
           line_chart("demand-" + results[i].policy, results[i].policy + ": instances against demand",
                      {demand, instances}, axis.label, 0) +
           "</div>\n";
  }
  out += "</div>\n";

  // --- the table ---
  static const Row kRows[] = {
      {"jobs", [](const PolicyResult& r) { return static_cast<double>(r.jobs); }, 0, 0},
      {"completed (re-runs incl.)", [](const PolicyResult& r) { return static_cast<double>(r.completed); }, 0, 0},
      {"unfinished", [](const PolicyResult& r) { return static_cast<double>(r.unfinished); }, 0, -1},
      {"re-runs (lost jobs)", [](const PolicyResult& r) { return static_cast<double>(r.reruns); }, 0, -1},
      {"queue wait p50 (s)", [](const PolicyResult& r) { return r.wait_p50; }, 1, -1},
      {"queue wait p90 (s)", [](const PolicyResult& r) { return r.wait_p90; }, 1, -1},
      {"queue wait p95 (s)", [](const PolicyResult& r) { return r.wait_p95; }, 1, -1},
      {"queue wait p99 (s)", [](const PolicyResult& r) { return r.wait_p99; }, 1, -1},
      {"queue wait max (s)", [](const PolicyResult& r) { return r.wait_max; }, 1, -1},
      {"on-demand instance-hours", [](const PolicyResult& r) { return r.on_demand_hours; }, 1, 0},
      {"spot instance-hours", [](const PolicyResult& r) { return r.spot_hours; }, 1, 0},
      {"total cost ($)", [](const PolicyResult& r) { return r.cost(); }, 2, -1},
      {"idle fraction", [](const PolicyResult& r) { return r.idle_fraction; }, 3, -1},
      {"busy terminations", [](const PolicyResult& r) { return static_cast<double>(r.busy_terminations); }, 0, -1},
      {"spot interruptions", [](const PolicyResult& r) { return static_cast<double>(r.interruptions); }, 0, 0},
      {"instances launched", [](const PolicyResult& r) { return static_cast<double>(r.instances_launched); }, 0, 0},
      {"GitHub calls / job", [](const PolicyResult& r) { return r.github_calls_per_job; }, 2, -1},
      {"GitHub quota calls / job", [](const PolicyResult& r) { return r.github_quota_calls_per_job; }, 2, -1},
      {"cloud API calls", [](const PolicyResult& r) { return static_cast<double>(r.cloud_calls); }, 0, -1},
  };
  out +=
      "<h2>All figures</h2>\n<p class=\"muted\">Bold: the best of the policies where lower or higher is "
      "better.</p>\n<table id=\"figures\">\n<tr><th></th>";
  for (const auto& n : names) out += "<th>" + esc(n) + "</th>";
  out += "</tr>\n";
  for (const auto& row : kRows) {
    out += "<tr><td>" + esc(row.name) + "</td>";
    double best = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const double v = row.value(results[i]);
      if (i == 0 || (row.better < 0 ? v < best : v > best)) best = v;
    }
    for (const auto& r : results) {
      const double v = row.value(r);
      const bool mark = row.better != 0 && results.size() > 1 && num(v, row.digits) == num(best, row.digits);
      out += std::string(mark ? "<td class=\"best\">" : "<td>") + num(v, row.digits) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</table>\n</body>\n</html>\n";
  return out;
}

}  // namespace ghscale::sandbox
