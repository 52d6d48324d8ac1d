#include "store/dynamodb/items.h"

#include <boost/json.hpp>
#include <charconv>
#include <cstdio>

namespace ghscale::store::ddb {

namespace json = boost::json;

namespace {

const json::object* attr(const Item& item, std::string_view name) {
  const json::value* v = item.if_contains(name);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return n;
}

// Optional attributes are left out when empty: fewer bytes, and no empty strings.
void put_s(Item& item, std::string_view name, const std::string& value) {
  if (!value.empty()) item[name] = attr_s(value);
}
void put_n(Item& item, std::string_view name, std::int64_t value) {
  if (value != 0) item[name] = attr_n(value);
}
void put_time(Item& item, std::string_view name, const std::optional<TimePoint>& t) {
  if (t) item[name] = attr_n(to_unix_ms(*t));
}
std::optional<TimePoint> get_time(const Item& item, std::string_view name) {
  auto n = get_n(item, name);
  if (!n) return std::nullopt;
  return from_unix_ms(*n);
}
std::int64_t get_n0(const Item& item, std::string_view name) { return get_n(item, name).value_or(0); }

json::object attr_l(const std::vector<std::string>& items) {
  json::array list;
  for (const auto& s : items) list.push_back(attr_s(s));
  return json::object{{"L", std::move(list)}};
}

std::vector<std::string> get_l(const Item& item, std::string_view name) {
  std::vector<std::string> out;
  const json::object* a = attr(item, name);
  if (a == nullptr) return out;
  const json::value* l = a->if_contains("L");
  if (l == nullptr || !l->is_array()) return out;
  for (const auto& v : l->as_array()) {
    if (v.is_object() && v.as_object().contains("S") && v.as_object().at("S").is_string()) {
      out.emplace_back(v.as_object().at("S").as_string());
    }
  }
  return out;
}

Error corrupt(std::string_view what, const Item& item) {
  return make_error(ErrorKind::kPermanent, "DynamoDB item " + get_s(item, "PK") + "/" + get_s(item, "SK") +
                                               " is not a valid " + std::string(what));
}

}  // namespace

json::object attr_s(std::string_view s) { return json::object{{"S", s}}; }
json::object attr_n(std::int64_t n) { return json::object{{"N", std::to_string(n)}}; }

std::string get_s(const Item& item, std::string_view name) {
  const json::object* a = attr(item, name);
  if (a == nullptr) return {};
  const json::value* s = a->if_contains("S");
  return s != nullptr && s->is_string() ? std::string(s->as_string()) : std::string();
}

std::optional<std::int64_t> get_n(const Item& item, std::string_view name) {
  const json::object* a = attr(item, name);
  if (a == nullptr) return std::nullopt;
  for (const char* type : {"N", "S"}) {
    const json::value* v = a->if_contains(type);
    if (v != nullptr && v->is_string()) return parse_int(std::string_view(v->as_string()));
  }
  return std::nullopt;
}

std::vector<std::string> get_ss(const Item& item, std::string_view name) {
  std::vector<std::string> out;
  const json::object* a = attr(item, name);
  if (a == nullptr) return out;
  const json::value* ss = a->if_contains("SS");
  if (ss == nullptr || !ss->is_array()) return out;
  for (const auto& v : ss->as_array()) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

std::string padded(std::int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(id));
  return buf;
}

Item key(std::string_view pk, std::string_view sk) { return Item{{"PK", attr_s(pk)}, {"SK", attr_s(sk)}}; }

Item job_key(std::int64_t job_id) { return key("job#" + std::to_string(job_id), "job"); }
Item delivery_key(std::string_view delivery_id) { return key("delivery#" + std::string(delivery_id), "delivery"); }
std::string bucket_pk(JobStatus status) { return "jobs#" + std::string(to_string(status)); }
Item bucket_key(JobStatus status, std::int64_t job_id) { return key(bucket_pk(status), padded(job_id)); }
Item instance_key(std::string_view instance_id) { return key(kInstancesPk, instance_id); }
Item action_key(std::int64_t id) { return key(kActionsPk, padded(id)); }
Item last_action_key(std::string_view pool, ActionKind kind) {
  return key(kLastActionPk, std::string(to_string(kind)) + "#" + std::string(pool));
}
Item action_counter_key() { return key("counter", "action"); }
Item lease_key(std::string_view name) { return key("lease#" + std::string(name), "lease"); }
Item setting_key(std::string_view name) { return key("setting#" + std::string(name), "setting"); }

Item encode_job(const StoredJob& stored) {
  const Job& j = stored.job;
  Item item = job_key(j.job_id);
  item["job_id"] = attr_n(j.job_id);
  item["version"] = attr_n(stored.version);
  item["status"] = attr_s(to_string(j.status));
  item["status_rank"] = attr_n(static_cast<std::int64_t>(j.status));
  json::array ids;
  for (const auto& d : stored.deliveries) ids.push_back(json::value(d));
  if (!ids.empty()) item["deliveries"] = json::object{{"SS", std::move(ids)}};
  put_s(item, "delivery_id", j.delivery_id);
  put_s(item, "event", j.event);
  put_s(item, "action", j.action);
  put_n(item, "run_id", j.run_id);
  item["run_attempt"] = attr_n(j.run_attempt);
  put_s(item, "repository", j.repository);
  put_s(item, "owner", j.owner);
  put_n(item, "installation_id", j.installation_id);
  if (!j.labels.empty()) item["labels"] = attr_l(j.labels.items());
  put_s(item, "conclusion", j.conclusion);
  put_n(item, "runner_id", j.runner_id);
  put_s(item, "runner_name", j.runner_name);
  put_n(item, "runner_group_id", j.runner_group_id);
  put_s(item, "runner_group_name", j.runner_group_name);
  put_s(item, "workflow_name", j.workflow_name);
  put_s(item, "job_name", j.job_name);
  put_time(item, "created_at", j.created_at);
  put_time(item, "started_at", j.started_at);
  put_time(item, "completed_at", j.completed_at);
  item["received_at"] = attr_n(to_unix_ms(j.received_at));
  return item;
}

StoredJob decode_job(const Item& item) {
  StoredJob out;
  Job& j = out.job;
  j.job_id = get_n0(item, "job_id");
  out.version = get_n0(item, "version");
  out.deliveries = get_ss(item, "deliveries");
  j.status = parse_job_status(get_s(item, "status")).value_or(JobStatus::kQueued);
  j.delivery_id = get_s(item, "delivery_id");
  j.event = get_s(item, "event");
  j.action = get_s(item, "action");
  j.run_id = get_n0(item, "run_id");
  j.run_attempt = get_n(item, "run_attempt").value_or(1);
  j.repository = get_s(item, "repository");
  j.owner = get_s(item, "owner");
  j.installation_id = get_n0(item, "installation_id");
  j.labels = LabelSet(get_l(item, "labels"));
  j.conclusion = get_s(item, "conclusion");
  j.runner_id = get_n0(item, "runner_id");
  j.runner_name = get_s(item, "runner_name");
  j.runner_group_id = get_n0(item, "runner_group_id");
  j.runner_group_name = get_s(item, "runner_group_name");
  j.workflow_name = get_s(item, "workflow_name");
  j.job_name = get_s(item, "job_name");
  j.created_at = get_time(item, "created_at");
  j.started_at = get_time(item, "started_at");
  j.completed_at = get_time(item, "completed_at");
  j.received_at = from_unix_ms(get_n0(item, "received_at"));
  return out;
}

Item encode_bucket_entry(const Job& job) {
  Item item = bucket_key(job.status, job.job_id);
  item["job_id"] = attr_n(job.job_id);
  item["received_at"] = attr_n(to_unix_ms(job.received_at));
  if (!job.labels.empty()) item["labels"] = attr_l(job.labels.items());
  return item;
}

Item encode_instance(const Instance& i) {
  Item item = instance_key(i.instance_id);
  item["instance_id"] = attr_s(i.instance_id);
  put_s(item, "pool", i.pool);
  item["market"] = attr_s(to_string(i.market));
  put_s(item, "instance_type", i.instance_type);
  item["state"] = attr_s(to_string(i.state));
  put_n(item, "runner_id", i.runner_id);
  put_s(item, "runner_name", i.runner_name);
  item["launched_at"] = attr_n(to_unix_ms(i.launched_at));
  put_time(item, "registered_at", i.registered_at);
  put_time(item, "last_busy_at", i.last_busy_at);
  put_n(item, "current_job_id", i.current_job_id);
  return item;
}

Result<Instance> decode_instance(const Item& item) {
  Instance i;
  i.instance_id = get_s(item, "instance_id");
  i.pool = get_s(item, "pool");
  auto market = parse_market(get_s(item, "market"));
  auto state = parse_instance_state(get_s(item, "state"));
  if (i.instance_id.empty() || !market || !state) return corrupt("instance", item);
  i.market = *market;
  i.state = *state;
  i.instance_type = get_s(item, "instance_type");
  i.runner_id = get_n0(item, "runner_id");
  i.runner_name = get_s(item, "runner_name");
  i.launched_at = from_unix_ms(get_n0(item, "launched_at"));
  i.registered_at = get_time(item, "registered_at");
  i.last_busy_at = get_time(item, "last_busy_at");
  i.current_job_id = get_n0(item, "current_job_id");
  return i;
}

Item encode_action(const Action& a, const Item& key_item) {
  Item item = key_item;
  item["id"] = attr_n(a.id);
  item["at"] = attr_n(to_unix_ms(a.at));
  put_s(item, "pool", a.pool);
  item["kind"] = attr_s(to_string(a.kind));
  item["count"] = attr_n(a.count);
  put_s(item, "reason", a.reason);
  put_s(item, "result", a.result);
  return item;
}

Result<Action> decode_action(const Item& item) {
  Action a;
  auto kind = parse_action_kind(get_s(item, "kind"));
  auto id = get_n(item, "id");
  if (!kind || !id) return corrupt("action", item);
  a.id = *id;
  a.kind = *kind;
  a.at = from_unix_ms(get_n0(item, "at"));
  a.pool = get_s(item, "pool");
  a.count = get_n0(item, "count");
  a.reason = get_s(item, "reason");
  a.result = get_s(item, "result");
  return a;
}

Item encode_lease(const StoredLease& stored) {
  Item item = lease_key(stored.lease.name);
  item["name"] = attr_s(stored.lease.name);
  put_s(item, "holder", stored.lease.holder);
  item["expires_at"] = attr_n(to_unix_ms(stored.lease.expires_at));
  item["token"] = attr_n(stored.lease.token);
  item["version"] = attr_n(stored.version);
  return item;
}

StoredLease decode_lease(const Item& item) {
  StoredLease out;
  out.lease.name = get_s(item, "name");
  out.lease.holder = get_s(item, "holder");
  out.lease.expires_at = from_unix_ms(get_n0(item, "expires_at"));
  out.lease.token = get_n0(item, "token");
  out.version = get_n0(item, "version");
  return out;
}

}  // namespace ghscale::store::ddb
