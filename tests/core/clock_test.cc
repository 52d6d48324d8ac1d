#include "core/clock.h"

#include <gtest/gtest.h>

namespace ghscale {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(from_unix_ms(1000));
  EXPECT_EQ(to_unix_ms(clock.now()), 1000);
  clock.advance(5s);
  EXPECT_EQ(to_unix_ms(clock.now()), 6000);
  clock.set(from_unix_ms(42));
  EXPECT_EQ(to_unix_ms(clock.now()), 42);
}

TEST(SystemClock, IsWallClock) {
  auto before = std::chrono::system_clock::now();
  auto t = system_clock()->now();
  auto after = std::chrono::system_clock::now();
  EXPECT_GE(t, std::chrono::time_point_cast<Duration>(before));
  EXPECT_LE(t, after);
}

}  // namespace
}  // namespace ghscale
