// A GitHub webhook delivery, parsed: who sent what (headers) and, for workflow_job, the
// flattened JobEvent. Parsing is a pure function of headers and body; it trusts nothing
// and reports the first missing or mistyped field as a kInvalid error. The signature is
// checked before this runs (see handler.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/job.h"
#include "http/message.h"

namespace ghscale::webhook {

inline constexpr std::string_view kEventHeader = "X-GitHub-Event";
inline constexpr std::string_view kDeliveryHeader = "X-GitHub-Delivery";
inline constexpr std::string_view kHookIdHeader = "X-GitHub-Hook-ID";
inline constexpr std::string_view kContentTypeHeader = "Content-Type";
inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";

enum class BodyFormat { kJson, kForm };

// The media type of a Content-Type value, parameters (charset) ignored; nullopt when it is
// neither of the two that GitHub sends.
std::optional<BodyFormat> parse_content_type(std::string_view content_type);

// True for the workflow_job actions ghscale records.
bool is_job_action(std::string_view action);

struct Delivery {
  std::string event;         // X-GitHub-Event
  std::string delivery_id;   // X-GitHub-Delivery
  std::int64_t hook_id = 0;  // X-GitHub-Hook-ID, else the body's hook_id (ping); 0 if neither
  std::string action;        // the payload's "action"; empty when it has none (ping)
  // Set for workflow_job with an action of is_job_action(); other actions are ignored.
  std::optional<JobEvent> job;
};

// Headers: X-GitHub-Event and X-GitHub-Delivery are required, X-GitHub-Hook-ID optional.
// The body is JSON, or a form whose payload= field is JSON. received_at stamps the JobEvent.
Result<Delivery> parse_delivery(const http::Headers& headers, BodyFormat format, std::string_view body,
                                TimePoint received_at);

}  // namespace ghscale::webhook
