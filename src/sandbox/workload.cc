#include "sandbox/workload.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numbers>
#include <optional>
#include <random>
#include <sstream>

#include "webhook/timestamp.h"

namespace ghscale::sandbox {
namespace {

// The arrival rate at `t` as a share of the peak rate (the daily cycle).
double daily_weight(const SyntheticOptions& o, Duration t) {
  const double hours = std::chrono::duration<double, std::ratio<3600>>(t).count();
  const double phase = 2.0 * std::numbers::pi * (hours - o.peak_hour) / 24.0;
  return o.trough_ratio + (1.0 - o.trough_ratio) * (1.0 + std::cos(phase)) / 2.0;
}

// Arrival times of a Poisson process modulated by the daily cycle, `expected` of them on
// average over the length (thinning).
std::vector<Duration> arrivals(const SyntheticOptions& o, double expected, std::mt19937_64& rng) {
  std::vector<Duration> out;
  const double length_s = std::chrono::duration<double>(o.length).count();
  if (expected <= 0 || length_s <= 0) return out;
  const double mean_weight = o.trough_ratio + (1.0 - o.trough_ratio) / 2.0;
  const double peak_rate = expected / (length_s * mean_weight);  // per second
  std::exponential_distribution<double> gap(peak_rate);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (double t = gap(rng); t < length_s; t += gap(rng)) {
    const Duration at{static_cast<Duration::rep>(t * 1000.0)};
    if (coin(rng) < daily_weight(o, at)) out.push_back(at);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits one CSV line; double quotes group a field (with "" for a literal quote).
Result<std::vector<std::string>> split_csv_line(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return make_error(ErrorKind::kInvalid, "unterminated double quote");
  return fields;
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string format_seconds(Duration d) {
  const auto ms = d.count();
  std::string out = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms % 1000));
    std::string f(frac);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out;
}

}  // namespace

Workload generate_synthetic(const SyntheticOptions& o) {
  std::mt19937_64 rng(o.seed);
  const double expected = o.jobs_per_day * std::chrono::duration<double, std::ratio<86400>>(o.length).count();
  const double burst_share = std::clamp(o.burst_share, 0.0, 1.0);
  const int burst_size = std::max(1, o.burst_size);

  std::vector<Duration> times = arrivals(o, expected * (1.0 - burst_share), rng);
  const std::vector<Duration> bursts = arrivals(o, expected * burst_share / burst_size, rng);
  std::poisson_distribution<int> size(std::max(0, burst_size - 1));
  std::uniform_real_distribution<double> spread(0.0, std::chrono::duration<double>(o.burst_spread).count());
  for (Duration b : bursts) {
    const int n = 1 + size(rng);
    for (int i = 0; i < n; ++i) {
      const Duration at = b + Duration{static_cast<Duration::rep>(spread(rng) * 1000.0)};
      if (at < o.length) times.push_back(at);
    }
  }
  std::sort(times.begin(), times.end());

  double total_weight = 0;
  for (const auto& s : o.label_mix) total_weight += std::max(0.0, s.weight);
  std::uniform_real_distribution<double> pick(0.0, total_weight);
  std::lognormal_distribution<double> duration(std::log(std::chrono::duration<double>(o.median_duration).count()),
                                               o.duration_sigma);
  std::uniform_int_distribution<std::size_t> repo(0, o.repos.empty() ? 0 : o.repos.size() - 1);

  Workload w;
  w.jobs.reserve(times.size());
  for (Duration at : times) {
    WorkloadJob j;
    j.queued_at = at;
    double r = pick(rng);
    for (const auto& s : o.label_mix) {
      j.labels = s.labels;
      r -= std::max(0.0, s.weight);
      if (r < 0) break;
    }
    const Duration d{static_cast<Duration::rep>(duration(rng) * 1000.0)};
    j.duration = std::clamp(d, o.min_duration, o.max_duration);
    if (!o.repos.empty()) j.repo = o.repos[repo(rng)];
    w.jobs.push_back(std::move(j));
  }
  return w;
}

Result<Workload> parse_workload_csv(std::string_view text, std::string_view source_name) {
  struct Row {
    std::optional<TimePoint> absolute;
    Duration relative{0};
    WorkloadJob job;
  };
  std::vector<Row> rows;
  bool any_absolute = false, any_relative = false;
  int line_no = 0;
  const auto fail = [&](const std::string& what) {
    return make_error(ErrorKind::kInvalid, std::string(source_name) + ":" + std::to_string(line_no) + ": " + what);
  };
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto fields = split_csv_line(line);
    if (!fields.ok()) return fail(fields.error().message);
    for (auto& f : *fields) f = std::string(trim(f));
    if (rows.empty() && !any_absolute && !any_relative && (*fields)[0] == "queued_at") continue;  // header
    if (fields->size() < 3 || fields->size() > 4) {
      return fail("expected 3 or 4 fields (queued_at,labels,duration_s[,repo]), found " + std::to_string(fields->size()));
    }
    Row row;
    const std::string& when = (*fields)[0];
    if (auto secs = parse_number(when)) {
      if (*secs < 0) return fail("queued_at must not be negative: '" + when + "'");
      row.relative = Duration{static_cast<Duration::rep>(std::llround(*secs * 1000.0))};
      any_relative = true;
    } else if (auto t = webhook::parse_timestamp(when)) {
      row.absolute = *t;
      any_absolute = true;
    } else {
      return fail("queued_at is neither seconds nor an RFC 3339 time: '" + when + "'");
    }
    if (any_absolute && any_relative) return fail("queued_at mixes seconds and RFC 3339 times");
    const std::string& labels = (*fields)[1];
    for (std::size_t b = 0; b <= labels.size();) {
      std::size_t e = labels.find_first_of(";,", b);
      if (e == std::string::npos) e = labels.size();
      row.job.labels.add(trim(std::string_view(labels).substr(b, e - b)));
      b = e + 1;
    }
    if (row.job.labels.empty()) return fail("labels are empty: a job needs at least one runs-on label");
    auto secs = parse_number((*fields)[2]);
    if (!secs) return fail("duration_s is not a number: '" + (*fields)[2] + "'");
    if (*secs <= 0) return fail("duration_s must be greater than 0: '" + (*fields)[2] + "'");
    row.job.duration = Duration{static_cast<Duration::rep>(std::llround(*secs * 1000.0))};
    if (fields->size() == 4 && !(*fields)[3].empty()) {
      const std::string& repo = (*fields)[3];
      const auto slash = repo.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == repo.size() || repo.find('/', slash + 1) != std::string::npos) {
        return fail("repo must be owner/name: '" + repo + "'");
      }
      row.job.repo = repo;
    }
    rows.push_back(std::move(row));
  }
  std::optional<TimePoint> start;
  for (const Row& r : rows) {
    if (r.absolute && (!start || *r.absolute < *start)) start = r.absolute;
  }
  Workload w;
  w.jobs.reserve(rows.size());
  for (Row& r : rows) {
    r.job.queued_at = r.absolute ? *r.absolute - *start : r.relative;
    w.jobs.push_back(std::move(r.job));
  }
  std::stable_sort(w.jobs.begin(), w.jobs.end(), [](const WorkloadJob& a, const WorkloadJob& b) { return a.queued_at < b.queued_at; });
  return w;
}

Result<Workload> read_workload_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::kInvalid, path + ": cannot open the workload file");
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_workload_csv(buf.str(), path);
}

std::string format_workload_csv(const Workload& w) {
  std::string out = "queued_at,labels,duration_s,repo\n";
  for (const auto& j : w.jobs) {
    out += format_seconds(j.queued_at) + "," + j.labels.joined(';') + "," + format_seconds(j.duration) + "," + j.repo + "\n";
  }
  return out;
}

Status write_workload_csv(const Workload& w, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error(ErrorKind::kInvalid, path + ": cannot write the workload file");
  out << format_workload_csv(w);
  out.flush();
  if (!out) return make_error(ErrorKind::kPermanent, path + ": write failed");
  return ok_status();
}

Result<Workload> load_workload(const std::string& csv_path, const SyntheticOptions& synthetic) {
  if (!csv_path.empty()) return read_workload_csv(csv_path);
  return generate_synthetic(synthetic);
}

}  // namespace ghscale::sandbox
