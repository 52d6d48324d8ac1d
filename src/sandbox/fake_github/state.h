// The fake's state and the helpers its request handlers share. Private to the fake.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "sandbox/fake_github/fake_github.h"
#include "sandbox/fake_github/render.h"

namespace ghscale::fake_github {
namespace json = boost::json;

inline constexpr Duration kInstallationTokenLifetime = std::chrono::hours(1);
inline constexpr Duration kRegistrationTokenLifetime = std::chrono::hours(1);
inline constexpr Duration kRateWindow = std::chrono::hours(1);

inline std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

inline std::string query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

inline std::int64_t to_int(const std::string& s, std::int64_t fallback) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size() ? v : fallback;
}

inline std::string etag_of(const std::string& body) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : body) h = (h ^ c) * 1099511628211ull;
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return "W/\"" + std::string(buf) + "\"";
}

inline http::Response json_response(int status, const json::value& body) {
  http::Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.body = json::serialize(body);
  return r;
}

inline http::Response error_response(int status, const std::string& message) {
  return json_response(status, render::error(message));
}

struct FakeGitHub::State {
  FakeGitHubOptions options;
  mutable std::mutex mu;
  // Everything below is guarded by mu.
  std::int64_t next_id = 1000;
  std::map<std::string, std::string> pats;  // token -> scopes
  struct App {
    std::string slug;
    std::string public_key_pem;
  };
  std::map<std::int64_t, App> apps;
  struct Installation {
    std::int64_t app_id = 0;
    std::string account;  // org login or owner/name
  };
  std::map<std::int64_t, Installation> installations;
  struct IssuedToken {
    std::int64_t installation_id = 0;
    TimePoint expires_at{};
  };
  std::map<std::string, IssuedToken> installation_tokens;
  std::vector<std::string> issued;
  std::map<std::int64_t, FakeRunner> runners;
  struct Group {
    std::int64_t id;
    std::string scope;
    std::string name;
    bool is_default;
  };
  std::vector<Group> groups;
  std::map<std::int64_t, FakeRun> runs;
  std::map<std::int64_t, FakeJob> jobs;
  std::map<std::string, std::int64_t> repo_ids;
  std::vector<FakeDelivery> deliveries;
  std::vector<std::int64_t> redelivered;
  std::vector<Fault> faults;
  struct Bucket {
    std::int64_t limit = 0;
    std::int64_t remaining = 0;
    TimePoint reset{};
  };
  std::map<std::pair<std::string, std::string>, Bucket> buckets;  // (quota owner, resource)
  std::map<std::string, std::int64_t> path_counts;
  std::mt19937_64 rng{12345};
  TimePoint created{};
  ReadLag lag;
  // With a lag, each runner's and job's states since the oldest one a read may still show,
  // oldest first, as (since, state); a runner's nullopt: removed. Empty without a lag.
  std::map<std::int64_t, std::deque<std::pair<TimePoint, std::optional<FakeRunner>>>> runner_history;
  std::map<std::int64_t, std::deque<std::pair<TimePoint, FakeJob>>> job_history;

  TimePoint now() const { return options.clock->now(); }

  // After every change to runners[id] or jobs[id] (a removal included).
  void note_runner(std::int64_t id) {
    if (lag.runners <= Duration::zero()) return;
    auto it = runners.find(id);
    auto& h = runner_history[id];
    h.emplace_back(now(), it == runners.end() ? std::nullopt : std::optional<FakeRunner>(it->second));
    forget_unreadable(h, lag.runners);
    if (h.size() == 1 && !h.front().second && h.front().first <= now() - lag.runners) runner_history.erase(id);
  }
  void note_job(std::int64_t id) {
    if (lag.jobs <= Duration::zero()) return;
    auto& h = job_history[id];
    h.emplace_back(now(), jobs.at(id));
    forget_unreadable(h, lag.jobs);
  }

  // What a read shows of a runner: as it was lag ago; nothing before it existed then.
  std::optional<FakeRunner> listed_runner(std::int64_t id) const {
    auto h = runner_history.find(id);
    if (h == runner_history.end()) {
      auto it = runners.find(id);
      return it == runners.end() ? std::nullopt : std::optional<FakeRunner>(it->second);
    }
    const TimePoint as_of = now() - lag.runners;
    std::optional<FakeRunner> shown;
    for (const auto& [since, state] : h->second) {
      if (since > as_of) break;
      shown = state;
    }
    return shown;
  }
  std::vector<FakeRunner> listed_runners(const std::string& scope) const {
    std::vector<std::int64_t> ids;
    for (const auto& [id, r] : runners) ids.push_back(id);
    for (const auto& [id, h] : runner_history) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<FakeRunner> out;
    for (std::int64_t id : ids) {
      if (auto r = listed_runner(id); r && r->scope == scope) out.push_back(std::move(*r));
    }
    return out;
  }
  // What a read shows of a job: as it was lag ago, or as it was created when younger.
  const FakeJob& listed_job(const FakeJob& current) const {
    auto h = job_history.find(current.id);
    if (h == job_history.end()) return current;
    const TimePoint as_of = now() - lag.jobs;
    const FakeJob* shown = &h->second.front().second;
    for (const auto& [since, state] : h->second) {
      if (since > as_of) break;
      shown = &state;
    }
    return *shown;
  }

  // States older than the newest one a read at now - lag would show are never read again.
  template <typename History>
  void forget_unreadable(History& h, Duration lag_of_reads) const {
    while (h.size() > 1 && h[1].first <= now() - lag_of_reads) h.pop_front();
  }

  std::int64_t repo_id(const std::string& repo) {
    auto [it, inserted] = repo_ids.try_emplace(repo, 0);
    if (inserted) it->second = ++next_id;
    return it->second;
  }

  std::string random_token(std::string_view prefix) {
    static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string t(prefix);
    for (int i = 0; i < 36; ++i) t += kChars[rng() % (sizeof kChars - 1)];
    issued.push_back(t);
    return t;
  }

  Bucket& bucket(const std::string& owner, const std::string& resource) {
    Bucket& b = buckets[{owner, resource}];
    if (b.reset <= now()) {
      b.limit = resource == "actions_runner_registration" ? options.registration_limit : options.core_limit;
      b.remaining = b.limit;
      b.reset = now() + kRateWindow;
    }
    return b;
  }
};

}  // namespace ghscale::fake_github
