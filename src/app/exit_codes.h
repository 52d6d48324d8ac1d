// The documented exit codes of every ghscale command (README, "Exit codes").
#pragma once

namespace ghscale::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure: could not bind, store unavailable, ...
inline constexpr int kExitUsage = 2;    // bad command line or invalid configuration
inline constexpr int kExitUnmatched = 3;  // simulate: some jobs match no pool (reported apart)

}  // namespace ghscale::app
