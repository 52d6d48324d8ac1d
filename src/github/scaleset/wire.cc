#include "github/scaleset/wire.h"

#include <boost/json.hpp>

#include <cctype>

#include "github/json_fields.h"
#include "github/parse.h"

namespace ghscale::scaleset::wire {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxExceptionMessage = 300;

Error shape_error(std::string_view what) {
  return make_error(ErrorKind::kPermanent, "scaleset: unexpected answer shape for " + std::string(what));
}

using github::json_fields::boolean;
using github::json_fields::num;
using github::json_fields::str;
constexpr auto parse_json = github::json_fields::parse;

// Go marshals an unset time.Time as year 1; that reads as "no time".
std::optional<TimePoint> time_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  auto t = github::parse_iso8601(v->as_string());
  if (!t || t->time_since_epoch().count() <= 0) return std::nullopt;
  return t;
}

std::optional<Statistics> statistics_from(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_object()) return std::nullopt;
  const auto& s = v->as_object();
  Statistics st;
  st.total_available_jobs = num(s, "totalAvailableJobs");
  st.total_acquired_jobs = num(s, "totalAcquiredJobs");
  st.total_assigned_jobs = num(s, "totalAssignedJobs");
  st.total_running_jobs = num(s, "totalRunningJobs");
  st.total_registered_runners = num(s, "totalRegisteredRunners");
  st.total_busy_runners = num(s, "totalBusyRunners");
  st.total_idle_runners = num(s, "totalIdleRunners");
  return st;
}

Result<ScaleSet> scale_set_from(const json::value& v) {
  if (!v.is_object()) return shape_error("runner scale set");
  const auto& o = v.as_object();
  ScaleSet s;
  s.id = num(o, "id");
  if (s.id <= 0) return shape_error("runner scale set (no id)");
  s.name = str(o, "name");
  s.runner_group_id = num(o, "runnerGroupId");
  s.runner_group_name = str(o, "runnerGroupName");
  if (auto* labels = o.if_contains("labels"); labels != nullptr && labels->is_array()) {
    for (const auto& l : labels->as_array()) {
      if (l.is_object()) s.labels.push_back(str(l.as_object(), "name"));
    }
  }
  if (auto* setting = o.if_contains("RunnerSetting"); setting != nullptr && setting->is_object()) {
    s.disable_update = boolean(setting->as_object(), "disableUpdate");
  }
  s.runner_jit_config_url = str(o, "runnerJitConfigUrl");
  s.statistics = statistics_from(o, "statistics");
  return s;
}

std::string base64url_decode(std::string_view in) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = value_of(c);
    if (v < 0) return {};
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

Result<JobEvent> job_event_from(const json::object& o, JobEventKind kind) {
  JobEvent e;
  e.kind = kind;
  e.runner_request_id = num(o, "runnerRequestId");
  e.repository_name = str(o, "repositoryName");
  e.owner_name = str(o, "ownerName");
  e.job_id = str(o, "jobId");
  e.job_workflow_ref = str(o, "jobWorkflowRef");
  e.job_display_name = str(o, "jobDisplayName");
  e.workflow_run_id = num(o, "workflowRunId");
  e.event_name = str(o, "eventName");
  if (auto* labels = o.if_contains("requestLabels"); labels != nullptr && labels->is_array()) {
    for (const auto& l : labels->as_array()) {
      if (l.is_string()) e.request_labels.emplace_back(l.as_string());
    }
  }
  e.queue_time = time_of(o, "queueTime");
  e.scale_set_assign_time = time_of(o, "scaleSetAssignTime");
  e.runner_assign_time = time_of(o, "runnerAssignTime");
  e.finish_time = time_of(o, "finishTime");
  e.runner_id = num(o, "runnerId");
  e.runner_name = str(o, "runnerName");
  e.result = str(o, "result");
  e.acquire_job_url = str(o, "acquireJobUrl");
  return e;
}

std::optional<JobEventKind> kind_of(std::string_view type) {
  for (auto k : {JobEventKind::kAvailable, JobEventKind::kAssigned, JobEventKind::kStarted, JobEventKind::kCompleted}) {
    if (to_string(k) == type) return k;
  }
  return std::nullopt;
}

Result<RunnerRef> runner_from(const json::value& v) {
  if (!v.is_object()) return shape_error("runner reference");
  RunnerRef r;
  r.id = num(v.as_object(), "id");
  r.name = str(v.as_object(), "name");
  r.scale_set_id = num(v.as_object(), "runnerScaleSetId");
  if (r.id <= 0) return shape_error("runner reference (no id)");
  return r;
}

}  // namespace

std::string render_registration(std::string_view config_url) {
  json::object o;
  o["url"] = config_url;
  o["runner_event"] = "register";
  return json::serialize(o);
}

Result<AdminConnection> parse_admin_connection(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("runner registration");
  AdminConnection c;
  c.actions_url = str(v->as_object(), "url");
  c.admin_token = str(v->as_object(), "token");
  if (c.actions_url.empty()) return shape_error("runner registration (no url)");
  if (c.admin_token.empty()) return shape_error("runner registration (no token)");
  return c;
}

std::optional<TimePoint> jwt_expiry(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const std::string payload = base64url_decode(token.substr(first + 1, second - first - 1));
  auto v = parse_json(payload);
  if (!v || !v->is_object()) return std::nullopt;
  const std::int64_t exp = num(v->as_object(), "exp");
  if (exp <= 0) return std::nullopt;
  return TimePoint{std::chrono::seconds(exp)};
}

std::string render_scale_set(const ScaleSetSpec& spec) {
  json::object o;
  if (!spec.name.empty()) o["name"] = spec.name;
  if (spec.runner_group_id != 0) o["runnerGroupId"] = spec.runner_group_id;
  json::array labels;
  // The service wants at least one label; the reference falls back to the name, typed System.
  const std::vector<std::string> names = spec.labels.empty() ? std::vector<std::string>{spec.name} : spec.labels;
  for (const auto& name : names) labels.push_back(json::object{{"type", "System"}, {"name", name}});
  o["labels"] = std::move(labels);
  json::object setting;
  if (spec.disable_update) setting["disableUpdate"] = true;
  o["RunnerSetting"] = std::move(setting);
  return json::serialize(o);
}

Result<ScaleSet> parse_scale_set(std::string_view body) {
  auto v = parse_json(body);
  if (!v) return shape_error("runner scale set");
  return scale_set_from(*v);
}

Result<std::vector<ScaleSet>> parse_scale_set_list(std::string_view body, std::size_t max_items) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("runner scale set list");
  const auto* value = v->as_object().if_contains("value");
  std::vector<ScaleSet> out;
  if (value == nullptr || value->is_null()) return out;
  if (!value->is_array()) return shape_error("runner scale set list");
  if (value->as_array().size() > max_items) return shape_error("runner scale set list (too many)");
  for (const auto& item : value->as_array()) {
    auto s = scale_set_from(item);
    if (!s) return std::move(s).error();
    out.push_back(std::move(s).value());
  }
  return out;
}

std::string render_session_request(std::string_view owner_name) {
  json::object o;
  // The reference marshals its zero UUID too; the service assigns the real one.
  o["sessionId"] = "00000000-0000-0000-0000-000000000000";
  o["ownerName"] = owner_name;
  return json::serialize(o);
}

Result<Session> parse_session(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("message session");
  const auto& o = v->as_object();
  Session s;
  s.session_id = str(o, "sessionId");
  s.owner_name = str(o, "ownerName");
  if (auto* set = o.if_contains("runnerScaleSet"); set != nullptr && set->is_object()) {
    s.scale_set_id = num(set->as_object(), "id");
  }
  s.message_queue_url = str(o, "messageQueueUrl");
  s.message_queue_token = str(o, "messageQueueAccessToken");
  s.statistics = statistics_from(o, "statistics");
  if (s.session_id.empty() || s.message_queue_url.empty() || s.message_queue_token.empty()) {
    return shape_error("message session (no id, queue URL or token)");
  }
  return s;
}

Result<Message> parse_message(std::string_view body, std::size_t max_events) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("message");
  const auto& o = v->as_object();
  if (str(o, "messageType") != kJobMessagesType) {
    return make_error(ErrorKind::kPermanent,
                      "scaleset: unsupported message type '" + str(o, "messageType").substr(0, 64) + "'");
  }
  Message m;
  m.id = num(o, "messageId");
  if (m.id <= 0) return shape_error("message (no id)");
  auto stats = statistics_from(o, "statistics");
  if (!stats) return shape_error("message (no statistics)");
  m.statistics = *stats;
  // The job events travel as a JSON document inside a string.
  const std::string inner = str(o, "body");
  if (inner.empty()) return m;
  auto events = parse_json(inner);
  if (!events || !events->is_array()) return shape_error("message body");
  if (events->as_array().size() > max_events) return shape_error("message body (too many events)");
  for (const auto& item : events->as_array()) {
    if (!item.is_object()) return shape_error("job message");
    auto kind = kind_of(str(item.as_object(), "messageType"));
    if (!kind) {
      ++m.unknown_events;
      continue;
    }
    auto e = job_event_from(item.as_object(), *kind);
    if (!e) return std::move(e).error();
    m.events.push_back(std::move(e).value());
  }
  return m;
}

std::string render_jit_request(std::string_view runner_name, std::string_view work_folder) {
  json::object o;
  o["name"] = runner_name;
  o["workFolder"] = work_folder;
  return json::serialize(o);
}

Result<ScaleSetJitConfig> parse_jit_config(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("JIT config");
  const auto& o = v->as_object();
  ScaleSetJitConfig c;
  c.encoded_jit_config = str(o, "encodedJITConfig");
  if (auto* r = o.if_contains("runner"); r != nullptr && r->is_object()) {
    c.runner.id = num(r->as_object(), "id");
    c.runner.name = str(r->as_object(), "name");
    c.runner.scale_set_id = num(r->as_object(), "runnerScaleSetId");
  }
  if (c.encoded_jit_config.empty() || c.runner.id <= 0) return shape_error("JIT config (no runner or config)");
  return c;
}

Result<RunnerRef> parse_runner(std::string_view body) {
  auto v = parse_json(body);
  if (!v) return shape_error("runner reference");
  return runner_from(*v);
}

Result<std::vector<RunnerRef>> parse_runner_list(std::string_view body, std::size_t max_items) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("runner list");
  const auto* value = v->as_object().if_contains("value");
  std::vector<RunnerRef> out;
  if (value == nullptr || value->is_null()) return out;
  if (!value->is_array()) return shape_error("runner list");
  if (value->as_array().size() > max_items) return shape_error("runner list (too many)");
  for (const auto& item : value->as_array()) {
    auto r = runner_from(item);
    if (!r) return std::move(r).error();
    out.push_back(std::move(r).value());
  }
  return out;
}

Result<std::vector<RunnerGroupRef>> parse_runner_group_list(std::string_view body, std::size_t max_items) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return shape_error("runner group list");
  const auto* value = v->as_object().if_contains("value");
  std::vector<RunnerGroupRef> out;
  if (value == nullptr || value->is_null()) return out;
  if (!value->is_array()) return shape_error("runner group list");
  if (value->as_array().size() > max_items) return shape_error("runner group list (too many)");
  for (const auto& item : value->as_array()) {
    if (!item.is_object()) return shape_error("runner group");
    RunnerGroupRef g;
    g.id = num(item.as_object(), "id");
    g.name = str(item.as_object(), "name");
    g.is_default = boolean(item.as_object(), "isDefaultGroup");
    if (g.id <= 0) return shape_error("runner group (no id)");
    out.push_back(std::move(g));
  }
  return out;
}

ServiceException parse_exception(std::string_view body) {
  ServiceException e;
  auto v = parse_json(body);
  if (!v || !v->is_object()) return e;
  e.type_name = str(v->as_object(), "typeName").substr(0, 120);
  e.message = str(v->as_object(), "message").substr(0, kMaxExceptionMessage);
  return e;
}

std::string render_user_agent(std::string_view system, std::string_view version, std::string_view subsystem,
                              std::int64_t scale_set_id) {
  json::object o;
  o["system"] = system;
  o["version"] = version;
  o["commit_sha"] = "unknown";
  o["scale_set_id"] = scale_set_id;
  o["subsystem"] = subsystem;
  o["build_version"] = version;
  o["build_commit_sha"] = "unknown";
  o["kind"] = "scaleset";
  return json::serialize(o);
}

std::string url_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace ghscale::scaleset::wire
