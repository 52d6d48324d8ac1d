#include "aws/timestamp.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace ghscale::aws {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr std::array<const char*, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Civil {
  int year, month, day, hour, minute, second, millis;
  unsigned weekday;  // 0 = Sunday
};

Civil to_civil(TimePoint t) {
  const auto ms = t.time_since_epoch();
  auto day_start = std::chrono::floor<days>(ms);
  const std::chrono::year_month_day ymd{sys_days{day_start}};
  auto in_day = ms - std::chrono::duration_cast<Duration>(day_start);
  const auto total_ms = in_day.count();
  return Civil{static_cast<int>(ymd.year()),
               static_cast<int>(static_cast<unsigned>(ymd.month())),
               static_cast<int>(static_cast<unsigned>(ymd.day())),
               static_cast<int>(total_ms / 3'600'000),
               static_cast<int>(total_ms / 60'000 % 60),
               static_cast<int>(total_ms / 1000 % 60),
               static_cast<int>(total_ms % 1000),
               std::chrono::weekday{sys_days{day_start}}.c_encoding()};
}

Error bad_timestamp(std::string_view text) {
  return make_error(ErrorKind::kInvalid, "not a timestamp: \"" + std::string(text.substr(0, 64)) + "\"");
}

// Reads exactly `width` digits at `pos`.
bool read_digits(std::string_view s, size_t& pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < width; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += width;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

std::optional<TimePoint> from_civil(int y, int mo, int d, int h, int mi, int sec, int millis) {
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const auto day_ms = std::chrono::duration_cast<Duration>(sys_days{ymd}.time_since_epoch());
  return TimePoint{day_ms + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{sec} +
                   Duration{millis}};
}

}  // namespace

std::string format_amz_date(TimePoint t) {
  const Civil c = to_civil(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::string format_iso8601(TimePoint t) {
  const Civil c = to_civil(t);
  char buf[40];
  if (c.millis == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day, c.hour, c.minute,
                  c.second, c.millis);
  }
  return buf;
}

std::string format_http_date(TimePoint t) {
  const Civil c = to_civil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kWeekdays[c.weekday], c.day,
                kMonths[c.month - 1], c.year, c.hour, c.minute, c.second);
  return buf;
}

std::string format_epoch_seconds(TimePoint t) {
  const auto ms = t.time_since_epoch().count();
  auto secs = ms / 1000;
  auto frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  std::string out = std::to_string(secs);
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    out += buf;
    while (out.back() == '0') out.pop_back();
  }
  return out;
}

Result<TimePoint> parse_iso8601(std::string_view s) {
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, millis = 0;
  if (!read_digits(s, pos, 4, y) || !expect(s, pos, '-') || !read_digits(s, pos, 2, mo) || !expect(s, pos, '-') ||
      !read_digits(s, pos, 2, d)) {
    return bad_timestamp(s);
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return bad_timestamp(s);
  ++pos;
  if (!read_digits(s, pos, 2, h) || !expect(s, pos, ':') || !read_digits(s, pos, 2, mi) || !expect(s, pos, ':') ||
      !read_digits(s, pos, 2, sec)) {
    return bad_timestamp(s);
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return bad_timestamp(s);
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!read_digits(s, pos, 2, oh) || !expect(s, pos, ':') || !read_digits(s, pos, 2, om)) return bad_timestamp(s);
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return bad_timestamp(s);
  }
  if (pos != s.size()) return bad_timestamp(s);
  auto t = from_civil(y, mo, d, h, mi, sec, millis);
  if (!t) return bad_timestamp(s);
  return *t - std::chrono::minutes{offset_minutes};
}

Result<TimePoint> parse_http_date(std::string_view s) {
  // "Sun, 02 Jan 2000 20:34:56 GMT"
  size_t pos = 0;
  if (s.size() < 29 || s[3] != ',' || s[4] != ' ') return bad_timestamp(s);
  pos = 5;
  int d = 0, y = 0, h = 0, mi = 0, sec = 0;
  if (!read_digits(s, pos, 2, d) || !expect(s, pos, ' ')) return bad_timestamp(s);
  int mo = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (s.substr(pos, 3) == kMonths[i]) mo = static_cast<int>(i) + 1;
  }
  pos += 3;
  if (mo == 0 || !expect(s, pos, ' ') || !read_digits(s, pos, 4, y) || !expect(s, pos, ' ') ||
      !read_digits(s, pos, 2, h) || !expect(s, pos, ':') || !read_digits(s, pos, 2, mi) || !expect(s, pos, ':') ||
      !read_digits(s, pos, 2, sec) || s.substr(pos) != " GMT") {
    return bad_timestamp(s);
  }
  auto t = from_civil(y, mo, d, h, mi, sec, 0);
  if (!t) return bad_timestamp(s);
  return *t;
}

Result<TimePoint> parse_any_timestamp(std::string_view s) {
  if (!s.empty() && ((s[0] >= '0' && s[0] <= '9') || s[0] == '-') && s.find_first_of("T:") == std::string_view::npos) {
    double secs = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(secs)) return bad_timestamp(s);
    return TimePoint{Duration{static_cast<Duration::rep>(std::llround(secs * 1000))}};
  }
  if (s.size() > 4 && s[3] == ',') return parse_http_date(s);
  return parse_iso8601(s);
}

}  // namespace ghscale::aws
