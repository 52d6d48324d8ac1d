// Durations as people write them in config: "250ms", "30s", "5m", "1h", "1h30m", "2d",
// or a plain integer meaning milliseconds (as the original system's settings did).
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace ghscale {

// Parses a duration. Negative values and unknown units are kInvalid errors whose message
// says what was expected.
Result<Duration> parse_duration(std::string_view text);

// The shortest exact form: 300000ms -> "5m", 90000ms -> "1m30s", 250ms -> "250ms".
std::string format_duration(Duration d);

}  // namespace ghscale
