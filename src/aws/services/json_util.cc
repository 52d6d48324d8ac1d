#include "aws/services/json_util.h"

namespace ghscale::aws::services {

namespace json = boost::json;

const json::object& empty_object() {
  static const json::object kEmpty;
  return kEmpty;
}

namespace {
const json::value* field(const json::value& v, std::string_view key) {
  return v.is_object() ? v.as_object().if_contains(key) : nullptr;
}
}  // namespace

const json::object& obj(const json::value& v, std::string_view key) {
  const json::value* f = field(v, key);
  return f != nullptr && f->is_object() ? f->as_object() : empty_object();
}

const json::array& arr(const json::value& v, std::string_view key) {
  static const json::array kEmpty;
  const json::value* f = field(v, key);
  return f != nullptr && f->is_array() ? f->as_array() : kEmpty;
}

std::string str(const json::value& v, std::string_view key) {
  const json::value* f = field(v, key);
  return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
}

std::int64_t num(const json::value& v, std::string_view key, std::int64_t fallback) {
  const json::value* f = field(v, key);
  if (f == nullptr) return fallback;
  if (f->is_int64()) return f->as_int64();
  if (f->is_uint64()) return static_cast<std::int64_t>(f->as_uint64());
  if (f->is_double()) return static_cast<std::int64_t>(f->as_double());
  return fallback;
}

bool flag(const json::value& v, std::string_view key, bool fallback) {
  const json::value* f = field(v, key);
  return f != nullptr && f->is_bool() ? f->as_bool() : fallback;
}

TimePoint time(const json::value& v, std::string_view key) {
  const json::value* f = field(v, key);
  if (f == nullptr || !f->is_number()) return TimePoint{};
  return from_unix_ms(static_cast<std::int64_t>(f->to_number<double>() * 1000.0 + 0.5));
}

json::array string_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

}  // namespace ghscale::aws::services
