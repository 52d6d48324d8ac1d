// How the store's values map to DynamoDB items (keys, attributes) in the one PK/SK table.
// The layout is documented in docs/store-dynamodb.md; this file is its single source.
// Pure functions, no I/O. Internal to the DynamoDB backend.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.h"
#include "core/instance.h"
#include "core/job.h"
#include "store/store.h"

namespace ghscale::store::ddb {

using Item = boost::json::object;

// --- attribute values -----------------------------------------------------------------
boost::json::object attr_s(std::string_view s);
boost::json::object attr_n(std::int64_t n);
// The item's string (S) attribute, or "" when absent or another type.
std::string get_s(const Item& item, std::string_view name);
// A number read from N, or from S holding digits (the original system's items may use
// either); nullopt when absent or not a number.
std::optional<std::int64_t> get_n(const Item& item, std::string_view name);
std::vector<std::string> get_ss(const Item& item, std::string_view name);
// "00000000000000000042": sorts like the number, for sort keys.
std::string padded(std::int64_t id);

Item key(std::string_view pk, std::string_view sk);

// --- the original system's items --------------------------------------------------------
inline constexpr std::string_view kCooldownPk = "settings_cooldown";  // attribute "value", ms
inline constexpr std::string_view kCooldownDefaultSk = "settings_cooldown";
inline constexpr std::string_view kActivityPk = "activity_scaling";  // SK scale_out|scale_in
inline constexpr std::string_view kValueAttr = "value";
inline constexpr std::string_view kTimestampAttr = "timestamp";

// --- ghscale's items ---------------------------------------------------------------------
Item job_key(std::int64_t job_id);                          // PK job#<id>, SK job
Item delivery_key(std::string_view delivery_id);            // PK delivery#<id>, SK delivery
std::string bucket_pk(JobStatus status);                    // jobs#<status>
Item bucket_key(JobStatus status, std::int64_t job_id);     // PK jobs#<status>, SK <padded id>
Item instance_key(std::string_view instance_id);            // PK instances, SK <id>
inline constexpr std::string_view kInstancesPk = "instances";
inline constexpr std::string_view kActionsPk = "actions";   // SK <padded action id>
inline constexpr std::string_view kLastActionPk = "action_last";  // SK <kind>#<pool>
Item action_key(std::int64_t id);
Item last_action_key(std::string_view pool, ActionKind kind);
Item action_counter_key();                                  // PK counter, SK action
Item lease_key(std::string_view name);                      // PK lease#<name>, SK lease
Item setting_key(std::string_view name);                    // PK setting#<name>, SK setting

// A job with its bookkeeping: `version` grows with every write (optimistic concurrency),
// `deliveries` holds every delivery id merged into it (atomic dedupe with the write).
struct StoredJob {
  Job job;
  std::int64_t version = 0;
  std::vector<std::string> deliveries;
};
Item encode_job(const StoredJob& stored);
StoredJob decode_job(const Item& item);
// The sparse listing entry of a job in its status bucket.
Item encode_bucket_entry(const Job& job);

Item encode_instance(const Instance& instance);
Result<Instance> decode_instance(const Item& item);

Item encode_action(const Action& action, const Item& key_item);
Result<Action> decode_action(const Item& item);

struct StoredLease {
  Lease lease;
  std::int64_t version = 0;
};
Item encode_lease(const StoredLease& stored);
StoredLease decode_lease(const Item& item);

}  // namespace ghscale::store::ddb
