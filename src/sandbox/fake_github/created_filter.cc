#include "sandbox/fake_github/created_filter.h"

#include <cstdio>
#include <ctime>
#include <string>

namespace ghscale::fake_github {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size() || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) return std::nullopt;
      out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
      i += 2;
    } else {
      out += in[i] == '+' ? ' ' : in[i];  // form encoding: '+' is a space (a raw '+' offset arrives as "%2B")
    }
  }
  return out;
}

// One end: a date (then `is_date`) or a date-time with Z, ±hh:mm or no zone (UTC).
std::optional<TimePoint> parse_point(std::string_view text, bool& is_date) {
  std::tm tm{};
  int used = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &used) != 3 || used != 10) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(10);
  is_date = rest.empty();
  if (!is_date) {
    int more = 0;
    if (std::sscanf(s.c_str() + 10, "T%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &more) != 3 || more != 9) {
      return std::nullopt;
    }
    rest.remove_prefix(9);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t epoch = timegm(&tm);
  if (rest == "Z" || rest.empty()) {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == ' ' || rest[0] == '-') && rest[3] == ':') {
    const int offset = ((rest[1] - '0') * 10 + (rest[2] - '0')) * 3600 + ((rest[4] - '0') * 10 + (rest[5] - '0')) * 60;
    epoch += rest[0] == '-' ? offset : -offset;
  } else {
    return std::nullopt;
  }
  return TimePoint{seconds(epoch)};
}

// The last millisecond of a date's day, or the date-time itself.
TimePoint end_of(TimePoint t, bool is_date) { return is_date ? t + hours(24) - milliseconds(1) : t; }

}  // namespace

std::optional<CreatedRange> parse_created_filter(std::string_view raw) {
  auto decoded = percent_decode(raw);
  if (!decoded || decoded->empty()) return std::nullopt;
  std::string_view v = *decoded;
  CreatedRange range;
  bool is_date = false;
  if (const auto dots = v.find(".."); dots != std::string_view::npos) {
    const std::string_view lo = v.substr(0, dots);
    const std::string_view hi = v.substr(dots + 2);
    if (lo != "*") {
      auto t = parse_point(lo, is_date);
      if (!t) return std::nullopt;
      range.from = *t;
    }
    if (hi != "*") {
      auto t = parse_point(hi, is_date);
      if (!t) return std::nullopt;
      range.to = end_of(*t, is_date);
    }
    return range;
  }
  for (std::string_view op : {">=", "<=", ">", "<"}) {
    if (v.substr(0, op.size()) != op) continue;
    auto t = parse_point(v.substr(op.size()), is_date);
    if (!t) return std::nullopt;
    if (op == ">=") range.from = *t;
    if (op == ">") range.from = end_of(*t, is_date) + milliseconds(1);
    if (op == "<=") range.to = end_of(*t, is_date);
    if (op == "<") range.to = *t - milliseconds(1);
    return range;
  }
  auto t = parse_point(v, is_date);
  if (!t) return std::nullopt;
  range.from = *t;
  range.to = end_of(*t, is_date);
  return range;
}

}  // namespace ghscale::fake_github
