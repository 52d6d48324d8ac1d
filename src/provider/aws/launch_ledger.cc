#include "provider/aws/launch_ledger.h"

#include <boost/json.hpp>

#include "core/log.h"

namespace ghscale::provider {

namespace json = boost::json;

namespace {

std::int64_t ms(TimePoint t) {
  return t.time_since_epoch().count();
}
TimePoint at(std::int64_t ms) {
  return TimePoint(Duration(ms));
}

}  // namespace

std::string encode_ledger(const LedgerState& state) {
  json::array unseen;
  for (const auto& e : state.unseen) {
    json::object tags;
    for (const auto& [k, v] : e.instance.tags) tags[k] = v;
    unseen.push_back(json::object{{"id", e.instance.id},
                                  {"market", to_string(e.instance.market)},
                                  {"type", e.instance.instance_type},
                                  {"launched_ms", ms(e.instance.launched_at)},
                                  {"deadline_ms", ms(e.deadline)},
                                  {"tags", std::move(tags)}});
  }
  json::object root{{"v", 1}, {"unseen", std::move(unseen)}};
  if (state.asked) root["asked"] = json::object{{"desired", state.asked->first}, {"until_ms", ms(state.asked->second)}};
  return json::serialize(root);
}

Result<LedgerState> decode_ledger(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::kInvalid, "launch ledger: not a JSON object");
  try {
    const json::object& root = v.as_object();
    LedgerState out;
    if (const json::value* u = root.if_contains("unseen")) {
      for (const json::value& item : u->as_array()) {
        const json::object& o = item.as_object();
        LedgerEntry e;
        e.instance.id = json::value_to<std::string>(o.at("id"));
        e.instance.market = parse_market(json::value_to<std::string>(o.at("market"))).value_or(Market::kSpot);
        e.instance.instance_type = json::value_to<std::string>(o.at("type"));
        e.instance.lifecycle = Lifecycle::kPending;
        e.instance.launched_at = at(o.at("launched_ms").to_number<std::int64_t>());
        e.deadline = at(o.at("deadline_ms").to_number<std::int64_t>());
        for (const auto& [k, tv] : o.at("tags").as_object())
          e.instance.tags[std::string(k)] = json::value_to<std::string>(tv);
        out.unseen.push_back(std::move(e));
      }
    }
    if (const json::value* a = root.if_contains("asked")) {
      const json::object& o = a->as_object();
      out.asked = std::make_pair(static_cast<int>(o.at("desired").to_number<std::int64_t>()),
                                 at(o.at("until_ms").to_number<std::int64_t>()));
    }
    return out;
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInvalid, std::string("launch ledger: ") + e.what());
  }
}

std::optional<LedgerState> load_ledger(LaunchLedger& ledger, std::string_view key, std::string_view pool, TimePoint now,
                                       std::string_view consequence) {
  auto text = ledger.read(key);
  auto state = text.ok() && *text ? decode_ledger(**text) : Result<LedgerState>(LedgerState{});
  if (!text.ok() || !state.ok()) {
    log::warn("cannot read the launch ledger: " + std::string(consequence),
              {{"pool", std::string(pool)}, {"error", (!text.ok() ? text.error() : state.error()).describe()}});
    return std::nullopt;
  }
  std::erase_if(state->unseen, [&](const LedgerEntry& e) { return e.deadline <= now; });
  if (state->asked && state->asked->second <= now) state->asked.reset();
  return std::move(state).value();
}

}  // namespace ghscale::provider
