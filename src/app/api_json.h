// JSON renderings shared by the status API and the CLI (`--json`), so both speak alike.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.h"
#include "core/job.h"

namespace ghscale::app {

std::string jobs_json(const std::vector<Job>& jobs);
std::string actions_json(const std::vector<Action>& actions);
// "2026-11-28T10:00:00Z"; empty for no time.
std::string iso8601(std::optional<TimePoint> t);

// Query string of a target, decoded ("/x?a=1&b=%20" -> {a:1, b:" "}); later keys win.
std::map<std::string, std::string> parse_query(std::string_view target);
std::optional<std::size_t> parse_positive(std::string_view text);

}  // namespace ghscale::app
