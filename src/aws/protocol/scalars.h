// Scalar conversions shared by the protocol codecs: timestamps, blobs, numbers, in both
// directions between wire text and the value tree. Internal to src/aws/protocol.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "aws/protocol/shape_model.h"
#include "core/clock.h"
#include "core/error.h"

namespace ghscale::aws::protocol {

// The timestampFormat in force: member trait, then shape trait, then `fallback`.
std::string_view timestamp_format(const MemberRef& ref, std::string_view fallback);

// Value (epoch seconds, or an ISO 8601 string) → TimePoint.
Result<TimePoint> timestamp_from_value(const boost::json::value& v);
// TimePoint → epoch seconds: an integer when whole, else a double.
boost::json::value timestamp_to_value(TimePoint t);
std::string format_timestamp(TimePoint t, std::string_view format);

// Wire text of a scalar value (query/ec2 form fields): numbers, booleans, strings,
// "NaN"/"Infinity" for floats, base64 for blobs, timestamps per format.
Result<std::string> scalar_to_text(const boost::json::value& v, const MemberRef& ref, std::string_view ts_default);
// Wire text → value, for XML responses and JSON strings holding scalars.
Result<boost::json::value> scalar_from_text(std::string_view text, const MemberRef& ref);

std::string format_double(double d);

Error invalid_param(std::string_view path, std::string_view what);

}  // namespace ghscale::aws::protocol
