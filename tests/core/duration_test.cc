#include "core/duration.h"

#include <gtest/gtest.h>

namespace ghscale {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(*parse_duration("250ms"), 250ms);
  EXPECT_EQ(*parse_duration("30s"), 30s);
  EXPECT_EQ(*parse_duration("5m"), 5min);
  EXPECT_EQ(*parse_duration("1h"), 1h);
  EXPECT_EQ(*parse_duration("2d"), 48h);
  EXPECT_EQ(*parse_duration("1h30m"), 90min);
  EXPECT_EQ(*parse_duration("1m30s500ms"), 90500ms);
}

TEST(Duration, BareIntegerIsMilliseconds) {
  // The original system's settings_cooldown was plain milliseconds.
  EXPECT_EQ(*parse_duration("60000"), 60s);
  EXPECT_EQ(*parse_duration("0"), 0ms);
}

TEST(Duration, RejectsBadInput) {
  for (const char* bad : {"", "5x", "-5s", "s", "5 s", "1.5h", "5m3", "99999999999999999999d"}) {
    auto d = parse_duration(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.error().kind, ErrorKind::kInvalid);
  }
  EXPECT_EQ(parse_duration("5x").error().message,
            "invalid duration \"5x\": unknown unit \"x\" (use e.g. 250ms, 30s, 5m, 1h30m, or milliseconds)");
  EXPECT_EQ(parse_duration("-5s").error().message,
            "invalid duration \"-5s\": must not be negative (use e.g. 250ms, 30s, 5m, 1h30m, or milliseconds)");
  EXPECT_EQ(parse_duration("1.5s").error().message,
            "invalid duration \"1.5s\": whole numbers only (write 1500ms for 1.5s, or 1m30s) (use e.g. 250ms, 30s, 5m, "
            "1h30m, or milliseconds)");
}

TEST(Duration, FormatsShortestExactForm) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(5min), "5m");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(25h), "1d1h");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
}

TEST(Duration, RoundTrips) {
  for (auto d : {0ms, 1ms, 999ms, 1000ms, 61000ms, 3600000ms, 86400001ms}) {
    EXPECT_EQ(*parse_duration(format_duration(d)), d) << format_duration(d);
  }
}

}  // namespace
}  // namespace ghscale
