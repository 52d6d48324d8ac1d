// The scale set protocol's JSON (Boost.JSON stays in the .cc): request bodies rendered the
// way the reference client marshals them, answers read into the value types. A body that
// does not have the expected shape is a kPermanent error naming what was read; sizes are
// bounded by the caller's limits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "github/scaleset/types.h"

namespace ghscale::scaleset::wire {

// The wire's messageType of a message whose body is a batch of job events.
inline constexpr std::string_view kJobMessagesType = "RunnerScaleSetJobMessages";

// POST /actions/runner-registration: {"url": <scope's GitHub URL>, "runner_event": "register"}.
std::string render_registration(std::string_view config_url);
struct AdminConnection {
  std::string actions_url;  // the Actions service root for this scope
  std::string admin_token;  // a JWT; a secret
};
Result<AdminConnection> parse_admin_connection(std::string_view body);
// The exp claim of a JWT, read without verifying (the service signs it, we only schedule).
std::optional<TimePoint> jwt_expiry(std::string_view token);

std::string render_scale_set(const ScaleSetSpec& spec);
Result<ScaleSet> parse_scale_set(std::string_view body);
// {"count": n, "value": [...]}; more than max_items is an error.
Result<std::vector<ScaleSet>> parse_scale_set_list(std::string_view body, std::size_t max_items);

std::string render_session_request(std::string_view owner_name);
Result<Session> parse_session(std::string_view body);

Result<Message> parse_message(std::string_view body, std::size_t max_events);

std::string render_jit_request(std::string_view runner_name, std::string_view work_folder);
Result<ScaleSetJitConfig> parse_jit_config(std::string_view body);

// A runner reference {id, name, runnerScaleSetId}, or a list of them {count, value}.
Result<RunnerRef> parse_runner(std::string_view body);
Result<std::vector<RunnerRef>> parse_runner_list(std::string_view body, std::size_t max_items);

// {"count": n, "value": [{id, name, size, isDefaultGroup}]}; more than max_items is an error.
Result<std::vector<RunnerGroupRef>> parse_runner_group_list(std::string_view body, std::size_t max_items);

// The Actions service's error body {"typeName": ..., "message": ...}; empty fields when
// absent. The message is cut to a few hundred bytes.
struct ServiceException {
  std::string type_name;
  std::string message;
};
ServiceException parse_exception(std::string_view body);

// The User-Agent the reference sends: a JSON object naming the system and its version.
std::string render_user_agent(std::string_view system, std::string_view version, std::string_view subsystem,
                              std::int64_t scale_set_id);

// Percent-encoding of a query value (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view value);

}  // namespace ghscale::scaleset::wire
