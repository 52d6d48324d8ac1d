#include "core/duration.h"

#include <cctype>
#include <cstdint>
#include <limits>

namespace ghscale {
namespace {

constexpr std::int64_t kMs = 1;
constexpr std::int64_t kSecond = 1000 * kMs;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

Error bad(std::string_view text, std::string_view why) {
  return make_error(ErrorKind::kInvalid, "invalid duration \"" + std::string(text) + "\": " +
                                             std::string(why) +
                                             " (use e.g. 250ms, 30s, 5m, 1h30m, or milliseconds)");
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return bad(text, "empty");
  std::int64_t total = 0;
  std::size_t i = 0;
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
  if (text.find_first_of(" \t") != std::string_view::npos) return bad(text, "no spaces allowed");
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return bad(text, text[i] == '-' ? "must not be negative" : "expected a number");
    }
    std::int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (n > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return bad(text, "too large");
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::int64_t scale = 0;
    if (unit.empty()) {
      if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
        return bad(text, "whole numbers only (write 1500ms for 1.5s, or 1m30s)");
      }
      if (!all_digits) return bad(text, "missing unit after " + std::to_string(n));
      scale = kMs;  // a bare integer is milliseconds
    } else if (unit == "ms") {
      scale = kMs;
    } else if (unit == "s") {
      scale = kSecond;
    } else if (unit == "m") {
      scale = kMinute;
    } else if (unit == "h") {
      scale = kHour;
    } else if (unit == "d") {
      scale = kDay;
    } else {
      return bad(text, "unknown unit \"" + std::string(unit) + "\"");
    }
    if (n > std::numeric_limits<std::int64_t>::max() / scale - total / scale) return bad(text, "too large");
    total += n * scale;
  }
  return Duration{total};
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  if (ms % kSecond != 0) return out + std::to_string(ms) + "ms";
  for (auto [scale, unit] : {std::pair{kDay, "d"}, {kHour, "h"}, {kMinute, "m"}, {kSecond, "s"}}) {
    if (ms >= scale) {
      out += std::to_string(ms / scale) + unit;
      ms %= scale;
    }
  }
  return out;
}

}  // namespace ghscale
