#include "aws/protocol/scalars.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "aws/encoding.h"
#include "aws/request.h"
#include "aws/timestamp.h"

namespace ghscale::aws::protocol {
namespace json = boost::json;

std::string_view timestamp_format(const MemberRef& ref, std::string_view fallback) {
  if (!ref.timestamp_format.empty()) return ref.timestamp_format;
  if (ref.shape != nullptr && !ref.shape->timestamp_format.empty()) return ref.shape->timestamp_format;
  return fallback;
}

Error invalid_param(std::string_view path, std::string_view what) {
  return make_error(ErrorKind::kInvalid, "parameter " + std::string(path) + ": " + std::string(what));
}

Result<TimePoint> timestamp_from_value(const json::value& v) {
  if (v.is_int64()) return TimePoint{Duration{v.get_int64() * 1000}};
  if (v.is_uint64()) return TimePoint{Duration{static_cast<Duration::rep>(v.get_uint64()) * 1000}};
  if (v.is_double()) return TimePoint{Duration{static_cast<Duration::rep>(std::llround(v.get_double() * 1000))}};
  if (v.is_string()) return parse_any_timestamp(v.get_string());
  return make_error(ErrorKind::kInvalid, "not a timestamp");
}

json::value timestamp_to_value(TimePoint t) {
  const auto ms = t.time_since_epoch().count();
  if (ms % 1000 == 0) return json::value(static_cast<std::int64_t>(ms / 1000));
  return json::value(static_cast<double>(ms) / 1000.0);
}

std::string format_timestamp(TimePoint t, std::string_view format) {
  if (format == "unixTimestamp") return format_epoch_seconds(t);
  if (format == "rfc822") return format_http_date(t);
  return format_iso8601(t);
}

std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, end);
}

Result<std::string> scalar_to_text(const json::value& v, const MemberRef& ref, std::string_view ts_default) {
  switch (ref.shape->type) {
    case ShapeType::kString:
      if (v.is_string()) return std::string(v.get_string());
      break;
    case ShapeType::kBlob:
      if (v.is_string()) return base64_encode(v.get_string());
      break;
    case ShapeType::kBoolean:
      if (v.is_bool()) return std::string(v.get_bool() ? "true" : "false");
      break;
    case ShapeType::kInteger:
    case ShapeType::kLong:
      if (v.is_int64()) return std::to_string(v.get_int64());
      if (v.is_uint64()) return std::to_string(v.get_uint64());
      break;
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (v.is_double()) return format_double(v.get_double());
      if (v.is_int64()) return std::to_string(v.get_int64());
      if (v.is_uint64()) return std::to_string(v.get_uint64());
      if (v.is_string() && (v.get_string() == "NaN" || v.get_string() == "Infinity" || v.get_string() == "-Infinity")) {
        return std::string(v.get_string());
      }
      break;
    case ShapeType::kTimestamp: {
      auto t = timestamp_from_value(v);
      if (!t.ok()) return t.error();
      return format_timestamp(*t, timestamp_format(ref, ts_default));
    }
    default:
      break;
  }
  return make_error(ErrorKind::kInvalid, "value does not fit shape " + ref.shape->name);
}

Result<json::value> scalar_from_text(std::string_view text, const MemberRef& ref) {
  switch (ref.shape->type) {
    case ShapeType::kString:
      return json::value(json::string(text));
    case ShapeType::kBlob: {
      auto bytes = base64_decode(text);
      if (!bytes) return make_error(ErrorKind::kInvalid, "blob is not base64");
      return json::value(json::string(*bytes));
    }
    case ShapeType::kBoolean:
      // Some services (EC2's defaultVersion among them) have been seen writing "True".
      if (iequals(text, "true")) return json::value(true);
      if (iequals(text, "false")) return json::value(false);
      break;
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc{} && end == text.data() + text.size()) return json::value(n);
      break;
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble: {
      if (text == "NaN" || text == "Infinity" || text == "-Infinity") return json::value(json::string(text));
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec == std::errc{} && end == text.data() + text.size()) return json::value(d);
      break;
    }
    case ShapeType::kTimestamp: {
      auto t = parse_any_timestamp(text);
      if (!t.ok()) return t.error();
      return timestamp_to_value(*t);
    }
    default:
      break;
  }
  return make_error(ErrorKind::kInvalid, "\"" + std::string(text.substr(0, 40)) + "\" does not fit " + ref.shape->name);
}

}  // namespace ghscale::aws::protocol
