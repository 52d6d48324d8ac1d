#include "sandbox/workload.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numbers>
#include <optional>
#include <random>
#include <unordered_map>

#include "core/file_read.h"
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

// The longest a workload may span, and a job may run: a leap year, as `--hours` allows
// (virtual time beyond it would only be ticks, and milliseconds past it could overflow).
constexpr double kMaxWorkloadSeconds = 366.0 * 24 * 3600;

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

double seconds_of(Duration d) { return std::chrono::duration<double>(d).count(); }

// Arrival times: a share of them alone, the rest in bursts of about `burst` within the
// spread, `expected` in all on average; sorted.
std::vector<Duration> arrivals_with_bursts(const SyntheticOptions& o, double expected, int burst, std::mt19937_64& rng) {
  const double burst_share = std::clamp(o.burst_share, 0.0, 1.0);
  burst = std::max(1, burst);
  std::vector<Duration> times = arrivals(o, expected * (1.0 - burst_share), rng);
  const std::vector<Duration> bursts = arrivals(o, expected * burst_share / burst, rng);
  std::poisson_distribution<int> size(std::max(0, burst - 1));
  std::uniform_real_distribution<double> spread(0.0, seconds_of(o.burst_spread));
  for (Duration b : bursts) {
    const int n = 1 + size(rng);
    for (int i = 0; i < n; ++i) {
      const Duration at = b + Duration{static_cast<Duration::rep>(spread(rng) * 1000.0)};
      if (at < o.length) times.push_back(at);
    }
  }
  std::sort(times.begin(), times.end());
  return times;
}

const LabelSet& pick_labels(const SyntheticOptions& o, std::mt19937_64& rng) {
  static const LabelSet kNone;
  double total_weight = 0;
  for (const auto& s : o.label_mix) total_weight += std::max(0.0, s.weight);
  double r = std::uniform_real_distribution<double>(0.0, total_weight)(rng);
  const LabelSet* out = &kNone;
  for (const auto& s : o.label_mix) {
    out = &s.labels;
    r -= std::max(0.0, s.weight);
    if (r < 0) break;
  }
  return *out;
}

Duration lognormal(const SyntheticOptions& o, Duration median, std::mt19937_64& rng) {
  std::lognormal_distribution<double> d(std::log(std::max(0.001, seconds_of(median))), o.duration_sigma);
  return std::clamp(Duration{static_cast<Duration::rep>(d(rng) * 1000.0)}, o.min_duration, o.max_duration);
}

// Runs of one build job, a matrix of tests that need it and sometimes a deploy that needs
// every test; every job of a run has the run's start as queued_at.
Workload generate_dag(const SyntheticOptions& o) {
  std::mt19937_64 rng(o.seed);
  const int lo = std::max(1, o.dag_matrix_min);
  const int hi = std::max(lo, o.dag_matrix_max);
  const double deploy_share = std::clamp(o.dag_deploy_share, 0.0, 1.0);
  const double jobs_per_run = 1.0 + (lo + hi) / 2.0 + deploy_share;
  const double expected_runs = o.jobs_per_day * std::chrono::duration<double, std::ratio<86400>>(o.length).count() / jobs_per_run;
  const std::vector<Duration> starts = arrivals_with_bursts(o, expected_runs, o.dag_push_burst, rng);
  std::uniform_int_distribution<int> matrix(lo, hi);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uniform_int_distribution<std::size_t> repo(0, o.repos.empty() ? 0 : o.repos.size() - 1);
  Workload w;
  w.jobs.reserve(static_cast<std::size_t>(static_cast<double>(starts.size()) * jobs_per_run) + 16);
  std::int64_t run = 0;
  for (Duration at : starts) {
    WorkloadJob build;
    build.queued_at = at;
    build.labels = pick_labels(o, rng);  // one runs-on for the whole workflow
    build.run = ++run;
    if (!o.repos.empty()) build.repo = o.repos[repo(rng)];
    build.duration = lognormal(o, o.dag_build_median, rng);
    const std::size_t build_index = w.jobs.size();
    w.jobs.push_back(build);
    const int tests = matrix(rng);
    std::vector<std::size_t> test_indexes;
    for (int i = 0; i < tests; ++i) {
      WorkloadJob t = build;
      t.duration = lognormal(o, o.median_duration, rng);
      t.needs = {build_index};
      test_indexes.push_back(w.jobs.size());
      w.jobs.push_back(std::move(t));
    }
    if (coin(rng) < deploy_share) {
      WorkloadJob d = build;
      d.duration = lognormal(o, o.dag_deploy_median, rng);
      d.needs = std::move(test_indexes);
      w.jobs.push_back(std::move(d));
    }
  }
  if (auto st = order_workload(w); !st.ok()) std::abort();  // built acyclic within runs
  return w;
}

}  // namespace

std::optional<WorkloadShape> parse_workload_shape(std::string_view name) {
  if (name == "day") return WorkloadShape::kIndependent;
  if (name == "dag") return WorkloadShape::kDag;
  return std::nullopt;
}

Status order_workload(Workload& w, std::size_t* culprit) {
  const std::size_t n = w.jobs.size();
  const auto fail = [&](std::size_t i, const std::string& what) {
    if (culprit != nullptr) *culprit = i;
    return make_error(ErrorKind::kInvalid, "job " + std::to_string(i) + ": " + what);
  };
  for (std::size_t i = 0; i < n; ++i) {
    auto& needs = w.jobs[i].needs;
    std::sort(needs.begin(), needs.end());
    needs.erase(std::unique(needs.begin(), needs.end()), needs.end());
    for (std::size_t d : needs) {
      if (d >= n) return fail(i, "needs job " + std::to_string(d) + ", which does not exist");
      if (d == i) return fail(i, "needs itself");
      if (w.jobs[i].run == 0) return fail(i, "has needs but no run");
      if (w.jobs[d].run != w.jobs[i].run) return fail(i, "needs job " + std::to_string(d) + " of another run");
    }
  }
  // Depth-first over needs: a cycle is an error; each job gets its depth and a queued_at
  // no earlier than its needs'.
  enum : char { kNew, kActive, kDone };
  std::vector<char> state(n, kNew);
  std::vector<std::size_t> depth(n, 0);
  std::vector<std::pair<std::size_t, std::size_t>> stack;  // job, next need to visit
  for (std::size_t root = 0; root < n; ++root) {
    if (state[root] != kNew) continue;
    state[root] = kActive;
    stack.emplace_back(root, 0);
    while (!stack.empty()) {
      const std::size_t i = stack.back().first;
      if (stack.back().second < w.jobs[i].needs.size()) {
        const std::size_t d = w.jobs[i].needs[stack.back().second++];
        if (state[d] == kActive) return fail(i, "its needs form a cycle");
        if (state[d] == kNew) {
          state[d] = kActive;
          stack.emplace_back(d, 0);
        }
        continue;
      }
      for (std::size_t d : w.jobs[i].needs) {
        depth[i] = std::max(depth[i], depth[d] + 1);
        w.jobs[i].queued_at = std::max(w.jobs[i].queued_at, w.jobs[d].queued_at);
      }
      state[i] = kDone;
      stack.pop_back();
    }
  }
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& ja = w.jobs[a];
    const auto& jb = w.jobs[b];
    return ja.queued_at != jb.queued_at ? ja.queued_at < jb.queued_at : depth[a] < depth[b];
  });
  std::vector<std::size_t> position(n);
  for (std::size_t p = 0; p < n; ++p) position[order[p]] = p;
  std::vector<WorkloadJob> sorted;
  sorted.reserve(n);
  for (std::size_t p = 0; p < n; ++p) {
    WorkloadJob j = std::move(w.jobs[order[p]]);
    for (auto& d : j.needs) d = position[d];
    std::sort(j.needs.begin(), j.needs.end());
    sorted.push_back(std::move(j));
  }
  w.jobs = std::move(sorted);
  return ok_status();
}

Workload generate_synthetic(const SyntheticOptions& o) {
  if (o.shape == WorkloadShape::kDag) return generate_dag(o);
  std::mt19937_64 rng(o.seed);
  const double expected = o.jobs_per_day * std::chrono::duration<double, std::ratio<86400>>(o.length).count();
  const std::vector<Duration> times = arrivals_with_bursts(o, expected, o.burst_size, rng);

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
    int line = 0;
    std::optional<TimePoint> absolute;
    Duration relative{0};
    WorkloadJob job;
    std::string name;                // job, unique within its run
    std::vector<std::string> needs;  // job names of the same run
  };
  std::vector<Row> rows;
  bool any_absolute = false, any_relative = false;
  int line_no = 0;
  const auto fail_at = [&](int line, const std::string& what) {
    return make_error(ErrorKind::kInvalid, std::string(source_name) + ":" + std::to_string(line) + ": " + what);
  };
  const auto fail = [&](const std::string& what) { return fail_at(line_no, what); };
  // Spreadsheets save CSV with a UTF-8 byte order mark: it is not part of the first field.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
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
    if (fields->size() < 3 || fields->size() > 7) {
      return fail("expected 3 to 7 fields (queued_at,labels,duration_s[,repo[,run,job,needs]]), found " +
                  std::to_string(fields->size()));
    }
    fields->resize(7);
    Row row;
    row.line = line_no;
    const std::string& when = (*fields)[0];
    if (auto secs = parse_number(when)) {
      if (*secs < 0) return fail("queued_at must not be negative: '" + when + "'");
      if (*secs > kMaxWorkloadSeconds) return fail("queued_at must be at most 366 days (31622400 s): '" + when + "'");
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
    if (*secs > kMaxWorkloadSeconds) return fail("duration_s must be at most 366 days (31622400 s): '" + (*fields)[2] + "'");
    row.job.duration = Duration{static_cast<Duration::rep>(std::llround(*secs * 1000.0))};
    if (!(*fields)[3].empty()) {
      const std::string& repo = (*fields)[3];
      const auto slash = repo.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == repo.size() || repo.find('/', slash + 1) != std::string::npos) {
        return fail("repo must be owner/name: '" + repo + "'");
      }
      row.job.repo = repo;
    }
    if (const std::string& run = (*fields)[4]; !run.empty()) {
      std::int64_t n = -1;
      const auto [p, ec] = std::from_chars(run.data(), run.data() + run.size(), n);
      if (ec != std::errc() || p != run.data() + run.size() || n < 0) return fail("run must be a whole number >= 0: '" + run + "'");
      row.job.run = n;
    }
    row.name = (*fields)[5];
    if (row.name.find(';') != std::string::npos) return fail("job must not contain ';': '" + row.name + "'");
    const std::string& needs = (*fields)[6];
    for (std::size_t b = 0; b < needs.size();) {
      std::size_t e = needs.find(';', b);
      if (e == std::string::npos) e = needs.size();
      if (const auto name = trim(std::string_view(needs).substr(b, e - b)); !name.empty()) row.needs.emplace_back(name);
      b = e + 1;
    }
    if (!row.needs.empty() && row.job.run == 0) return fail("needs names jobs of its run, but the job has no run");
    rows.push_back(std::move(row));
  }
  // Nothing to simulate: most likely the wrong file, or an export that found no jobs.
  if (rows.empty()) return make_error(ErrorKind::kInvalid, std::string(source_name) + ": no jobs in the workload (only a header, comments or blank lines)");
  // Runs: one repository each, job names unique within them; needs resolved to indexes.
  std::map<std::int64_t, std::size_t> first_of_run;
  std::map<std::pair<std::int64_t, std::string>, std::size_t> by_name;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (r.job.run == 0) continue;
    const auto [first, fresh] = first_of_run.emplace(r.job.run, i);
    if (!fresh && rows[first->second].job.repo != r.job.repo) {
      return fail_at(r.line, "run " + std::to_string(r.job.run) + " is of " + rows[first->second].job.repo + " (line " +
                                 std::to_string(rows[first->second].line) + "), not " + r.job.repo);
    }
    if (!r.name.empty() && !by_name.emplace(std::make_pair(r.job.run, r.name), i).second) {
      return fail_at(r.line, "run " + std::to_string(r.job.run) + " has two jobs named '" + r.name + "'");
    }
  }
  for (Row& r : rows) {
    for (const std::string& name : r.needs) {
      auto it = by_name.find({r.job.run, name});
      if (it == by_name.end()) return fail_at(r.line, "needs '" + name + "', but run " + std::to_string(r.job.run) + " has no job of that name");
      r.job.needs.push_back(it->second);
    }
  }
  std::optional<TimePoint> start;
  for (const Row& r : rows) {
    if (r.absolute && (!start || *r.absolute < *start)) start = r.absolute;
  }
  for (const Row& r : rows) {
    if (r.absolute && *r.absolute - *start > std::chrono::seconds(static_cast<std::int64_t>(kMaxWorkloadSeconds))) {
      return fail_at(r.line, "queued_at is more than 366 days after the workload's first job");
    }
  }
  Workload w;
  w.jobs.reserve(rows.size());
  for (Row& r : rows) {
    r.job.queued_at = r.absolute ? *r.absolute - *start : r.relative;
    w.jobs.push_back(std::move(r.job));
  }
  std::size_t culprit = 0;
  if (auto st = order_workload(w, &culprit); !st.ok()) {
    const std::string& m = st.error().message;  // "job N: what": the line names the job here
    return fail_at(rows[culprit].line, m.substr(m.find(": ") + 2));
  }
  return w;
}

Result<Workload> read_workload_csv(const std::string& path) {
  // 1 GiB: some ten million rows, what simulate takes at once.
  auto text = read_regular_file(path, std::size_t{1} << 30);
  if (!text.ok()) return make_error(ErrorKind::kInvalid, path + ": cannot read the workload file: " + text.error().message);
  return parse_workload_csv(*text, path);
}

std::string format_workload_csv(const Workload& w) {
  const bool structured = std::any_of(w.jobs.begin(), w.jobs.end(), [](const WorkloadJob& j) { return j.run != 0 || !j.needs.empty(); });
  if (!structured) {
    std::string out = "queued_at,labels,duration_s,repo\n";
    for (const auto& j : w.jobs) {
      out += format_seconds(j.queued_at) + "," + j.labels.joined(';') + "," + format_seconds(j.duration) + "," + j.repo + "\n";
    }
    return out;
  }
  // Names j0, j1, ... per run, in workload order (a job's needs come before it).
  std::string out = "queued_at,labels,duration_s,repo,run,job,needs\n";
  std::unordered_map<std::int64_t, std::size_t> jobs_in_run;
  std::vector<std::string> names(w.jobs.size());
  for (std::size_t i = 0; i < w.jobs.size(); ++i) {
    const WorkloadJob& j = w.jobs[i];
    out += format_seconds(j.queued_at) + "," + j.labels.joined(';') + "," + format_seconds(j.duration) + "," + j.repo + ",";
    if (j.run != 0) {
      names[i] = "j" + std::to_string(jobs_in_run[j.run]++);
      out += std::to_string(j.run) + "," + names[i] + ",";
      for (std::size_t k = 0; k < j.needs.size(); ++k) out += (k == 0 ? "" : ";") + names[j.needs[k]];
    } else {
      out += ",,";
    }
    out += "\n";
  }
  return out;
}

Result<Workload> load_workload(const std::string& csv_path, const SyntheticOptions& synthetic) {
  if (!csv_path.empty()) return read_workload_csv(csv_path);
  return generate_synthetic(synthetic);
}

}  // namespace ghscale::sandbox
