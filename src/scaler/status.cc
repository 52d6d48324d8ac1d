#include "scaler/status.h"

#include <boost/json.hpp>

namespace ghscale::scaler {
namespace {

namespace json = boost::json;

json::value time_or_null(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return to_unix_ms(*t);
}

}  // namespace

std::string to_json(const ScalerStatus& status) {
  json::array pools;
  for (const auto& p : status.pools) {
    json::array notes;
    for (const auto& n : p.notes) notes.emplace_back(n);
    json::array actions;
    for (const auto& a : p.last_actions) {
      actions.push_back(json::object{{"id", a.id},
                                     {"at", to_unix_ms(a.at)},
                                     {"kind", std::string(to_string(a.kind))},
                                     {"count", a.count},
                                     {"reason", a.reason},
                                     {"result", a.result}});
    }
    const PoolCounts& c = p.counts;
    pools.push_back(json::object{{"name", p.name},
                                 {"desired", c.desired},
                                 {"running", c.running},
                                 {"idle", c.idle},
                                 {"busy", c.busy},
                                 {"booting", c.booting},
                                 {"queued_jobs", c.queued},
                                 {"lost_jobs", c.lost},
                                 {"min_idle", c.min_idle},
                                 {"on_demand", c.on_demand},
                                 {"spot", c.spot},
                                 {"cooldown_active", p.cooldown_active},
                                 {"notes", std::move(notes)},
                                 {"observed_at", time_or_null(p.observed_at)},
                                 {"last_actions", std::move(actions)}});
  }
  json::object root{{"holder", status.holder},
                    {"lease_holder", status.lease_holder},
                    {"acting", status.acting},
                    {"last_pass", time_or_null(status.last_pass)},
                    {"last_sweep", time_or_null(status.last_sweep)},
                    {"pools", std::move(pools)}};
  return json::serialize(root);
}

}  // namespace ghscale::scaler
