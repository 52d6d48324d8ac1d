// RFC 3339 / ISO-8601 timestamps as GitHub writes them ("2021-06-15T19:22:27Z", also with
// a numeric offset or fractional seconds), to TimePoint. Belongs in core if others need it.
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace ghscale::webhook {

// nullopt for anything that is not a complete, valid date-time with a zone designator.
// Fractions finer than a millisecond are truncated.
std::optional<TimePoint> parse_timestamp(std::string_view text);

}  // namespace ghscale::webhook
