// Retry waits with full jitter (a uniform draw over [0, min(cap, base × 2^attempt)]), as
// GitHub and AWS advise: clients retrying together spread out instead of arriving in step.
// Thread-safe; a fixed seed makes the waits repeatable in tests.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>

#include "core/clock.h"

namespace ghscale {

class JitterBackoff {
 public:
  // seed 0: seeded from the OS.
  JitterBackoff(Duration base, Duration cap, std::uint64_t seed);

  Duration delay(int attempt);

 private:
  const Duration base_;
  const Duration cap_;
  std::mutex mu_;
  std::mt19937_64 rng_;  // guarded by mu_
};

}  // namespace ghscale
