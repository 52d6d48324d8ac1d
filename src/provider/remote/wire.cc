#include "provider/remote/wire.h"

#include <boost/json.hpp>

#include <chrono>

namespace ghscale::provider::wire {
namespace json = boost::json;
namespace {

std::string_view lifecycle_text(Lifecycle l) { return to_string(l); }

std::optional<Lifecycle> parse_lifecycle(std::string_view s) {
  for (Lifecycle l : {Lifecycle::kPending, Lifecycle::kRunning, Lifecycle::kStopping, Lifecycle::kTerminated}) {
    if (to_string(l) == s) return l;
  }
  return std::nullopt;
}

std::optional<ErrorKind> parse_kind(std::string_view s) {
  for (ErrorKind k : {ErrorKind::kRetryable, ErrorKind::kThrottled, ErrorKind::kNotFound, ErrorKind::kConflict,
                      ErrorKind::kInvalid, ErrorKind::kUnauthorized, ErrorKind::kPermanent}) {
    if (to_string(k) == s) return k;
  }
  return std::nullopt;
}

json::object error_object(const Error& e) {
  json::object o{{"kind", to_string(e.kind)}, {"message", e.message}};
  if (e.retry_after.count() > 0) o["retry_after_ms"] = e.retry_after.count();
  return o;
}

Error error_from(const json::value& v, ErrorKind fallback) {
  Error e{fallback, "simulated cloud error", {}};
  if (const auto* o = v.if_object()) {
    if (const auto* k = o->if_contains("kind"); k && k->is_string()) {
      if (auto kind = parse_kind(k->as_string())) e.kind = *kind;
    }
    if (const auto* m = o->if_contains("message"); m && m->is_string()) e.message = std::string(m->as_string());
    if (const auto* r = o->if_contains("retry_after_ms"); r && r->is_int64()) {
      e.retry_after = std::chrono::milliseconds(r->as_int64());
    }
  }
  return e;
}

Result<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::kInvalid, "simulated cloud: body is not a JSON object");
  return std::move(v.as_object());
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t num(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

bool flag(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = o.if_contains(key); v && v->is_array()) {
    for (const auto& x : v->as_array()) {
      if (x.is_string()) out.emplace_back(x.as_string());
    }
  }
  return out;
}

json::array string_array(const std::vector<std::string>& v) { return json::array(v.begin(), v.end()); }

std::int64_t millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string encode_instances(const std::vector<CloudInstance>& instances) {
  json::array a;
  a.reserve(instances.size());
  for (const auto& i : instances) {
    json::object tags;
    for (const auto& [k, v] : i.tags) tags[k] = v;
    a.push_back(json::object{{"id", i.id},
                             {"pool", i.pool},
                             {"market", to_string(i.market)},
                             {"instance_type", i.instance_type},
                             {"lifecycle", lifecycle_text(i.lifecycle)},
                             {"launched_at_ms", millis(i.launched_at)},
                             {"protected", i.scale_in_protected},
                             {"tags", std::move(tags)}});
  }
  return json::serialize(json::object{{"instances", std::move(a)}});
}

Result<std::vector<CloudInstance>> decode_instances(std::string_view body) {
  auto o = parse_object(body);
  if (!o) return o.error();
  const auto* list = o->if_contains("instances");
  if (!list || !list->is_array()) return make_error(ErrorKind::kInvalid, "simulated cloud: no instances list");
  std::vector<CloudInstance> out;
  for (const auto& v : list->as_array()) {
    if (!v.is_object()) return make_error(ErrorKind::kInvalid, "simulated cloud: an instance is not an object");
    const auto& x = v.as_object();
    CloudInstance i;
    i.id = str(x, "id");
    i.pool = str(x, "pool");
    auto market = parse_market(str(x, "market"));
    auto lifecycle = parse_lifecycle(str(x, "lifecycle"));
    if (i.id.empty() || !market || !lifecycle) {
      return make_error(ErrorKind::kInvalid, "simulated cloud: instance without id, market or lifecycle");
    }
    i.market = *market;
    i.lifecycle = *lifecycle;
    i.instance_type = str(x, "instance_type");
    i.launched_at = TimePoint{std::chrono::milliseconds(num(x, "launched_at_ms"))};
    i.scale_in_protected = flag(x, "protected");
    if (const auto* t = x.if_contains("tags"); t && t->is_object()) {
      for (const auto& [k, tv] : t->as_object()) {
        if (tv.is_string()) i.tags.emplace(std::string(k), std::string(tv.as_string()));
      }
    }
    out.push_back(std::move(i));
  }
  return out;
}

std::string encode_launch_request(const LaunchRequest& r) {
  return json::serialize(json::object{{"pool", r.pool},
                                      {"on_demand", r.split.on_demand},
                                      {"spot", r.split.spot},
                                      {"client_token", r.client_token},
                                      {"cause_job_id", r.cause_job_id}});
}

Result<LaunchRequest> decode_launch_request(std::string_view body) {
  auto o = parse_object(body);
  if (!o) return o.error();
  LaunchRequest r;
  r.pool = str(*o, "pool");
  r.split.on_demand = static_cast<int>(num(*o, "on_demand"));
  r.split.spot = static_cast<int>(num(*o, "spot"));
  r.client_token = str(*o, "client_token");
  r.cause_job_id = num(*o, "cause_job_id");
  if (r.pool.empty() || r.split.on_demand < 0 || r.split.spot < 0) {
    return make_error(ErrorKind::kInvalid, "launch: needs a pool and non-negative counts");
  }
  return r;
}

std::string encode_launch_outcome(const LaunchOutcome& out) {
  json::object o{{"on_demand_ids", string_array(out.on_demand_ids)}, {"spot_ids", string_array(out.spot_ids)}};
  if (out.on_demand_error) o["on_demand_error"] = error_object(*out.on_demand_error);
  if (out.spot_error) o["spot_error"] = error_object(*out.spot_error);
  return json::serialize(o);
}

Result<LaunchOutcome> decode_launch_outcome(std::string_view body) {
  auto o = parse_object(body);
  if (!o) return o.error();
  LaunchOutcome out;
  out.on_demand_ids = strings(*o, "on_demand_ids");
  out.spot_ids = strings(*o, "spot_ids");
  if (const auto* e = o->if_contains("on_demand_error")) out.on_demand_error = error_from(*e, ErrorKind::kPermanent);
  if (const auto* e = o->if_contains("spot_error")) out.spot_error = error_from(*e, ErrorKind::kPermanent);
  return out;
}

std::string encode_ids(const std::vector<std::string>& ids, std::optional<bool> enabled) {
  json::object o{{"ids", string_array(ids)}};
  if (enabled) o["enabled"] = *enabled;
  return json::serialize(o);
}

Result<IdsBody> decode_ids(std::string_view body) {
  auto o = parse_object(body);
  if (!o) return o.error();
  const auto* ids = o->if_contains("ids");
  if (!ids || !ids->is_array()) return make_error(ErrorKind::kInvalid, "needs an ids list");
  return IdsBody{strings(*o, "ids"), flag(*o, "enabled")};
}

std::string encode_hand_over(std::string_view instance_id, const Registration& r) {
  return json::serialize(json::object{
      {"instance_id", instance_id},
      {"registration", json::object{{"kind", r.kind == Registration::Kind::kJitConfig ? "jit-config" : "registration-token"},
                                    {"runner_name", r.runner_name},
                                    {"secret", r.secret},
                                    {"url", r.url},
                                    {"labels", string_array(r.labels)},
                                    {"runner_group", r.runner_group},
                                    {"ephemeral", r.ephemeral}}}});
}

Result<HandOverBody> decode_hand_over(std::string_view body) {
  auto o = parse_object(body);
  if (!o) return o.error();
  HandOverBody out;
  out.instance_id = str(*o, "instance_id");
  const auto* reg = o->if_contains("registration");
  if (out.instance_id.empty() || !reg || !reg->is_object()) {
    return make_error(ErrorKind::kInvalid, "hand-over: needs an instance_id and a registration");
  }
  const auto& r = reg->as_object();
  const std::string kind = str(r, "kind");
  if (kind != "jit-config" && kind != "registration-token") {
    return make_error(ErrorKind::kInvalid, "hand-over: kind must be jit-config or registration-token");
  }
  out.registration.kind =
      kind == "jit-config" ? Registration::Kind::kJitConfig : Registration::Kind::kRegistrationToken;
  out.registration.runner_name = str(r, "runner_name");
  out.registration.secret = str(r, "secret");
  out.registration.url = str(r, "url");
  out.registration.labels = strings(r, "labels");
  out.registration.runner_group = str(r, "runner_group");
  out.registration.ephemeral = flag(r, "ephemeral");
  return out;
}

std::string encode_error(const Error& error) { return json::serialize(json::object{{"error", error_object(error)}}); }

Error decode_error(int status, std::string_view body) {
  ErrorKind fallback = status == 404   ? ErrorKind::kNotFound
                       : status == 409 ? ErrorKind::kConflict
                       : status == 429 ? ErrorKind::kThrottled
                       : status == 400 ? ErrorKind::kInvalid
                       : status >= 500 ? ErrorKind::kRetryable
                                       : ErrorKind::kPermanent;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error")) return error_from(*e, fallback);
  }
  return Error{fallback, "simulated cloud answered HTTP " + std::to_string(status), {}};
}

int http_status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kThrottled: return 429;
    case ErrorKind::kInvalid: return 400;
    case ErrorKind::kUnauthorized: return 401;
    case ErrorKind::kRetryable: return 503;
    case ErrorKind::kPermanent: return 500;
  }
  return 500;
}

}  // namespace ghscale::provider::wire
