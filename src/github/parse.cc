#include "github/parse.h"

#include <boost/json.hpp>

#include <cstdio>
#include <ctime>

#include "github/json_fields.h"

namespace ghscale::github {
namespace json = boost::json;
namespace {

Error shape_error(std::string_view what) {
  return make_error(ErrorKind::kPermanent, "github: unexpected answer shape for " + std::string(what));
}

using json_fields::boolean;
using json_fields::num;
using json_fields::str;
constexpr auto parse_json = json_fields::parse;

std::optional<TimePoint> time_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return parse_iso8601(v->as_string());
}

Result<Runner> runner_from(const json::value& v) {
  if (!v.is_object()) return shape_error("runner");
  const auto& o = v.as_object();
  Runner r;
  r.id = num(o, "id");
  r.name = str(o, "name");
  r.os = str(o, "os");
  r.status = str(o, "status") == "online" ? RunnerStatus::kOnline : RunnerStatus::kOffline;
  r.busy = boolean(o, "busy");
  if (auto* labels = o.if_contains("labels"); labels != nullptr && labels->is_array()) {
    for (const auto& l : labels->as_array()) {
      if (l.is_object()) r.labels.push_back(str(l.as_object(), "name"));
    }
  }
  if (r.id == 0) return shape_error("runner (no id)");
  return r;
}

WorkflowJob job_from(const json::object& o) {
  WorkflowJob j;
  j.id = num(o, "id");
  j.run_id = num(o, "run_id");
  j.name = str(o, "name");
  j.workflow_name = str(o, "workflow_name");
  j.status = str(o, "status");
  j.conclusion = str(o, "conclusion");
  if (auto* labels = o.if_contains("labels"); labels != nullptr && labels->is_array()) {
    for (const auto& l : labels->as_array()) {
      if (l.is_string()) j.labels.emplace_back(l.as_string());
    }
  }
  j.runner_id = num(o, "runner_id");
  j.runner_name = str(o, "runner_name");
  j.runner_group_id = num(o, "runner_group_id");
  j.runner_group_name = str(o, "runner_group_name");
  j.created_at = time_of(o, "created_at");
  j.started_at = time_of(o, "started_at");
  j.completed_at = time_of(o, "completed_at");
  return j;
}

// Parses {"total_count": N, "<key>": [...]} with `item` converting each element.
template <typename T, typename F>
Result<Page<T>> page_of(std::string_view body, std::string_view key, F item) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error(key);
  const auto& o = v->as_object();
  auto* items = o.if_contains(key);
  if (items == nullptr || !items->is_array()) return shape_error(key);
  Page<T> page;
  page.total_count = num(o, "total_count");
  for (const auto& e : items->as_array()) {
    Result<T> r = item(e);
    if (!r) return std::move(r).error();
    page.items.push_back(std::move(r).value());
  }
  return page;
}

}  // namespace

std::optional<std::string> next_link(std::string_view header) {
  // <https://api.github.com/...&page=2>; rel="next", <...>; rel="last"
  while (!header.empty()) {
    const auto open = header.find('<');
    const auto close = header.find('>', open);
    if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
    const std::string_view url = header.substr(open + 1, close - open - 1);
    auto end = header.find(',', close);
    const std::string_view params = header.substr(close + 1, end == std::string_view::npos ? end : end - close - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos) return std::string(url);
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<TimePoint> parse_iso8601(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t seconds = timegm(&tm);
  std::string_view rest = text.substr(static_cast<std::size_t>(consumed));
  std::int64_t millis = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) millis = millis * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    for (; digits < 3; ++digits) millis *= 10;
  }
  if (rest == "Z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const int offset = ((rest[1] - '0') * 10 + (rest[2] - '0')) * 3600 + ((rest[4] - '0') * 10 + (rest[5] - '0')) * 60;
    seconds += rest[0] == '+' ? -offset : offset;
  } else {
    return std::nullopt;
  }
  return TimePoint{std::chrono::milliseconds(seconds * 1000 + millis)};
}

std::string format_iso8601(TimePoint t) {
  const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<Page<Runner>> parse_runner_page(std::string_view body) {
  return page_of<Runner>(body, "runners", [](const json::value& v) { return runner_from(v); });
}

Result<Runner> parse_runner(std::string_view body) {
  auto v = parse_json(body);
  if (!v) return shape_error("runner");
  return runner_from(*v);
}

Result<Page<RunnerGroup>> parse_runner_group_page(std::string_view body) {
  return page_of<RunnerGroup>(body, "runner_groups", [](const json::value& v) -> Result<RunnerGroup> {
    if (!v.is_object()) return shape_error("runner group");
    const auto& o = v.as_object();
    return RunnerGroup{num(o, "id"), str(o, "name"), boolean(o, "default"), str(o, "visibility")};
  });
}

Result<Token> parse_token(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("token");
  const auto& o = v->as_object();
  Token t{str(o, "token"), time_of(o, "expires_at").value_or(TimePoint{})};
  if (t.token.empty()) return shape_error("token (empty)");
  return t;
}

Result<JitConfig> parse_jit_config(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("jit config");
  const auto& o = v->as_object();
  auto* runner = o.if_contains("runner");
  if (runner == nullptr) return shape_error("jit config (no runner)");
  auto r = runner_from(*runner);
  if (!r) return std::move(r).error();
  JitConfig c{std::move(r).value(), str(o, "encoded_jit_config")};
  if (c.encoded_jit_config.empty()) return shape_error("jit config (empty)");
  return c;
}

Result<WorkflowJob> parse_job(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("job");
  return job_from(v->as_object());
}

Result<Page<WorkflowJob>> parse_job_page(std::string_view body) {
  return page_of<WorkflowJob>(body, "jobs", [](const json::value& v) -> Result<WorkflowJob> {
    if (!v.is_object()) return shape_error("job");
    return job_from(v.as_object());
  });
}

Result<Page<WorkflowRun>> parse_run_page(std::string_view body) {
  return page_of<WorkflowRun>(body, "workflow_runs", [](const json::value& v) -> Result<WorkflowRun> {
    if (!v.is_object()) return shape_error("workflow run");
    const auto& o = v.as_object();
    WorkflowRun r{num(o, "id"), str(o, "name"), str(o, "status"), {}, time_of(o, "created_at")};
    if (auto* repo = o.if_contains("repository"); repo != nullptr && repo->is_object()) {
      r.repository = str(repo->as_object(), "full_name");
    }
    return r;
  });
}

Result<Page<std::string>> parse_repository_names(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_array()) return shape_error("repositories");
  Page<std::string> page;
  for (const auto& e : v->as_array()) {
    if (!e.is_object()) return shape_error("repository");
    std::string name = str(e.as_object(), "full_name");
    if (name.find('/') == std::string::npos) return shape_error("repository (no full_name)");
    page.items.push_back(std::move(name));
  }
  page.total_count = static_cast<std::int64_t>(page.items.size());
  return page;
}

Result<std::vector<HookDelivery>> parse_deliveries(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_array()) return shape_error("hook deliveries");
  std::vector<HookDelivery> out;
  for (const auto& e : v->as_array()) {
    if (!e.is_object()) return shape_error("hook delivery");
    const auto& o = e.as_object();
    HookDelivery d;
    d.id = num(o, "id");
    d.guid = str(o, "guid");
    d.delivered_at = time_of(o, "delivered_at").value_or(TimePoint{});
    d.redelivery = boolean(o, "redelivery");
    d.status = str(o, "status");
    d.status_code = static_cast<int>(num(o, "status_code"));
    d.event = str(o, "event");
    d.action = str(o, "action");
    d.installation_id = num(o, "installation_id");
    d.repository_id = num(o, "repository_id");
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<RateLimitBucket>> parse_rate_limit(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("rate_limit");
  auto* resources = v->as_object().if_contains("resources");
  if (resources == nullptr || !resources->is_object()) return shape_error("rate_limit (no resources)");
  std::vector<RateLimitBucket> out;
  for (const auto& [name, b] : resources->as_object()) {
    if (!b.is_object()) continue;
    const auto& o = b.as_object();
    out.push_back(RateLimitBucket{std::string(name), num(o, "limit"), num(o, "remaining"), num(o, "used"),
                                  TimePoint{std::chrono::seconds(num(o, "reset"))}});
  }
  return out;
}

Result<std::int64_t> parse_installation_id(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("installation");
  const std::int64_t id = num(v->as_object(), "id");
  if (id <= 0) return shape_error("installation (no id)");
  return id;
}

Result<Identity> parse_app(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("app");
  const auto& o = v->as_object();
  Identity id;
  id.auth_kind = "app";
  id.name = str(o, "name");
  id.slug = str(o, "slug");
  id.app_id = num(o, "id");
  if (auto* owner = o.if_contains("owner"); owner != nullptr && owner->is_object()) {
    id.account = str(owner->as_object(), "login");
  }
  return id;
}

std::string error_message(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return {};
  return str(v->as_object(), "message");
}

}  // namespace ghscale::github
