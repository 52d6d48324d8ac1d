#include "core/backoff.h"

#include <gtest/gtest.h>

namespace ghscale {
namespace {

using namespace std::chrono_literals;

TEST(JitterBackoff, DrawsUnderTheDoublingCeilingAndTheCapRepeatablyForASeed) {
  JitterBackoff a(1s, 30s, 42), b(1s, 30s, 42);
  bool below_ceiling_seen = false;
  for (int attempt = 1; attempt <= 40; ++attempt) {
    const Duration ceiling = std::min<Duration>(30s, Duration{1000LL << std::min(attempt, 16)});
    const Duration d = a.delay(attempt);
    EXPECT_GE(d.count(), 0) << attempt;
    EXPECT_LE(d, ceiling) << attempt;
    below_ceiling_seen = below_ceiling_seen || d < ceiling;
    EXPECT_EQ(d, b.delay(attempt)) << "the same seed, the same waits";
  }
  EXPECT_TRUE(below_ceiling_seen) << "jittered, not the ceiling every time";
  JitterBackoff zero(0s, 30s, 1);
  EXPECT_EQ(zero.delay(5), 0s);
}

}  // namespace
}  // namespace ghscale
