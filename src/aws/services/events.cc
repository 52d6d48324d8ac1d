#include "aws/services/events.h"

#include "aws/services/json_util.h"

namespace ghscale::aws {

namespace json = boost::json;
using services::arr;
using services::str;

Result<PutEventsResult> EventBridgeClient::put_events(const std::vector<EventEntry>& entries) {
  PutEventsResult result;
  for (std::size_t i = 0; i < entries.size(); i += 10) {
    json::array batch;
    const std::size_t end = std::min(entries.size(), i + 10);
    for (std::size_t j = i; j < end; ++j) {
      const EventEntry& e = entries[j];
      json::object entry{{"Source", e.source}, {"DetailType", e.detail_type}, {"Detail", e.detail}};
      if (!e.event_bus_name.empty()) entry["EventBusName"] = e.event_bus_name;
      if (!e.resources.empty()) entry["Resources"] = services::string_array(e.resources);
      batch.push_back(std::move(entry));
    }
    auto out = client_->call("PutEvents", json::object{{"Entries", std::move(batch)}});
    if (!out.ok()) return out.error();
    result.failed_count += static_cast<int>(services::num(*out, "FailedEntryCount"));
    const auto& answers = arr(*out, "Entries");
    for (std::size_t j = i; j < end; ++j) {
      const std::size_t k = j - i;
      if (k < answers.size()) {
        result.entries.push_back(
            {str(answers[k], "EventId"), str(answers[k], "ErrorCode"), str(answers[k], "ErrorMessage")});
      } else {
        result.entries.push_back({"", "MissingEntry", "the service answered for fewer entries than sent"});
      }
    }
  }
  return result;
}

}  // namespace ghscale::aws
