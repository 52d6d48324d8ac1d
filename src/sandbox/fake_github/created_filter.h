// The `created` parameter of GitHub's workflow-run list: a date qualifier of GitHub's
// search syntax ("2024-05-01", ">=2024-05-01", "<2024-05-01T12:00:00Z",
// "2024-05-01..2024-05-07", "2024-05-01T00:00:00Z..*"), as the fake reads it.
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace ghscale::fake_github {

// Both ends inclusive. A bare date covers its whole (UTC) day.
struct CreatedRange {
  TimePoint from = TimePoint::min();
  TimePoint to = TimePoint::max();
  bool contains(TimePoint t) const { return from <= t && t <= to; }
};

// `value` as it appears in the query string (percent-encoded or not); nullopt when it is
// not a date qualifier GitHub would accept.
std::optional<CreatedRange> parse_created_filter(std::string_view value);

}  // namespace ghscale::fake_github
