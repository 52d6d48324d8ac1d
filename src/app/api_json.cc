#include "app/api_json.h"

#include <boost/json.hpp>

#include <charconv>
#include <ctime>

namespace ghscale::app {

std::string iso8601(std::optional<TimePoint> t) {
  if (!t) return "";
  std::time_t secs = static_cast<std::time_t>(to_unix_ms(*t) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string jobs_json(const std::vector<Job>& jobs) {
  boost::json::array arr;
  for (const auto& j : jobs) {
    boost::json::array labels;
    for (const auto& l : j.labels.items()) labels.emplace_back(l);
    arr.emplace_back(boost::json::object{{"job_id", j.job_id},
                                         {"run_id", j.run_id},
                                         {"run_attempt", j.run_attempt},
                                         {"status", std::string(to_string(j.status))},
                                         {"conclusion", j.conclusion},
                                         {"repository", j.repository},
                                         {"labels", labels},
                                         {"runner_name", j.runner_name},
                                         {"workflow_name", j.workflow_name},
                                         {"job_name", j.job_name},
                                         {"created_at", iso8601(j.created_at)},
                                         {"started_at", iso8601(j.started_at)},
                                         {"completed_at", iso8601(j.completed_at)}});
  }
  return boost::json::serialize(arr);
}

std::string actions_json(const std::vector<Action>& actions) {
  boost::json::array arr;
  for (const auto& a : actions) {
    arr.emplace_back(boost::json::object{{"id", a.id},
                                         {"at", iso8601(a.at)},
                                         {"pool", a.pool},
                                         {"kind", std::string(to_string(a.kind))},
                                         {"count", a.count},
                                         {"reason", a.reason},
                                         {"result", a.result}});
  }
  return boost::json::serialize(arr);
}

namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_query(std::string_view target) {
  std::map<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    if (!key.empty()) out[key] = value;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

std::optional<std::size_t> parse_positive(std::string_view text) {
  std::size_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v == 0 || v > 100000) return std::nullopt;
  return v;
}

}  // namespace ghscale::app
