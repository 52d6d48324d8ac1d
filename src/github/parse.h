// Reading GitHub's JSON answers into the value types (Boost.JSON stays in the .cc), and
// the small text formats around them: Link headers and ISO 8601 times. A body that does
// not have the documented shape is a kPermanent error naming what was read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "github/types.h"

namespace ghscale::github {

// The URL of rel="next" in a Link header, if any.
std::optional<std::string> next_link(std::string_view link_header);
// "2024-01-02T03:04:05Z" (fractional seconds and +hh:mm offsets accepted).
std::optional<TimePoint> parse_iso8601(std::string_view text);
std::string format_iso8601(TimePoint t);

// A page of a list: the items and the total GitHub reports.
template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total_count = 0;
};

Result<Page<Runner>> parse_runner_page(std::string_view body);
Result<Runner> parse_runner(std::string_view body);
Result<Page<RunnerGroup>> parse_runner_group_page(std::string_view body);
Result<Token> parse_token(std::string_view body);
Result<JitConfig> parse_jit_config(std::string_view body);
Result<WorkflowJob> parse_job(std::string_view body);
Result<Page<WorkflowJob>> parse_job_page(std::string_view body);
Result<Page<WorkflowRun>> parse_run_page(std::string_view body);
// A bare JSON array of repositories (GET /orgs/{org}/repos): their full names.
Result<Page<std::string>> parse_repository_names(std::string_view body);
Result<std::vector<HookDelivery>> parse_deliveries(std::string_view body);
Result<std::vector<RateLimitBucket>> parse_rate_limit(std::string_view body);
Result<std::int64_t> parse_installation_id(std::string_view body);
Result<Identity> parse_app(std::string_view body);
// GitHub's {"message": "..."} error body; empty when absent.
std::string error_message(std::string_view body);

}  // namespace ghscale::github
