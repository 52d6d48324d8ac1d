// The timestamp spellings AWS uses: SigV4's basic form (20150830T123600Z), ISO 8601 /
// RFC 3339 (the query, ec2 and XML default), HTTP dates (RFC 822/7231) and epoch
// seconds (the JSON default). Millisecond precision, matching core's TimePoint.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace ghscale::aws {

// "20150830T123600Z": seconds only, as SigV4's X-Amz-Date.
std::string format_amz_date(TimePoint t);
// "2015-08-30T12:36:00Z", or "...:00.123Z" when there are milliseconds.
std::string format_iso8601(TimePoint t);
// "Sun, 30 Aug 2015 12:36:00 GMT".
std::string format_http_date(TimePoint t);
// Epoch seconds, fractional when there are milliseconds ("1422172800", "946845296.123").
std::string format_epoch_seconds(TimePoint t);

// RFC 3339: date, 'T' (or 't' / ' '), time, optional fraction (truncated to ms), and
// 'Z' or a numeric offset.
Result<TimePoint> parse_iso8601(std::string_view text);
// IMF-fixdate "Sun, 02 Jan 2000 20:34:56 GMT".
Result<TimePoint> parse_http_date(std::string_view text);
// Any of the above, or epoch seconds (possibly fractional).
Result<TimePoint> parse_any_timestamp(std::string_view text);

}  // namespace ghscale::aws
