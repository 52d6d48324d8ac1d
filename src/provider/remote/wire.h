// The simulated cloud's wire format: the Provider interface as JSON over HTTP, so a
// daemon process (`ghscale serve` with `provider: {type: sim, endpoint_url: ...}`) can use
// a simulated cloud that lives in another process — the sandbox's or a test's — next to
// the GitHub simulator whose runners its instances start. Loopback only; no secret is in a
// URL (registrations travel in request bodies).
//
//   GET  /v1/pools/{pool}/instances  → {"instances": [instance...]}
//   POST /v1/launch     {"pool","on_demand","spot","client_token","cause_job_id"}
//                       → {"on_demand_ids":[],"spot_ids":[],"on_demand_error":error?,"spot_error":error?}
//   POST /v1/terminate  {"ids": []}               → 204
//   POST /v1/protect    {"ids": [], "enabled": b} → 204
//   POST /v1/hand-over  {"instance_id", "registration": {...}} → 204
//   any failure         → 4xx/5xx {"error": {"kind": "not-found", "message": "..."}}
// The header X-Ghscale-Process names the calling process (host:pid), so a test can tell
// which of several daemons acted.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "provider/provider.h"

namespace ghscale::provider::wire {

inline constexpr std::string_view kProcessHeader = "X-Ghscale-Process";

std::string encode_instances(const std::vector<CloudInstance>& instances);
Result<std::vector<CloudInstance>> decode_instances(std::string_view body);

std::string encode_launch_request(const LaunchRequest& request);
Result<LaunchRequest> decode_launch_request(std::string_view body);
std::string encode_launch_outcome(const LaunchOutcome& outcome);
Result<LaunchOutcome> decode_launch_outcome(std::string_view body);

std::string encode_ids(const std::vector<std::string>& ids, std::optional<bool> enabled = std::nullopt);
struct IdsBody {
  std::vector<std::string> ids;
  bool enabled = false;
};
Result<IdsBody> decode_ids(std::string_view body);

std::string encode_hand_over(std::string_view instance_id, const Registration& registration);
struct HandOverBody {
  std::string instance_id;
  Registration registration;
};
Result<HandOverBody> decode_hand_over(std::string_view body);

std::string encode_error(const Error& error);
// The Error an HTTP answer carries; `status` picks the kind when the body has none.
Error decode_error(int status, std::string_view body);
int http_status_for(ErrorKind kind);

}  // namespace ghscale::provider::wire
