// The names ghscale gives its runners: "ghscale-<pool>-<instance id>", and for an
// instance's n-th registration (n > 1, reuse) "...-r<n>". Deterministic, so the runner <->
// instance link survives a crash without any stored state. Here, below config and
// scaler, so the config loader can hold a pool's names to GitHub's length limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ghscale {

inline constexpr std::string_view kRunnerNameHead = "ghscale-";
// GitHub refuses longer runner names (the runner's own configuration says so).
inline constexpr std::size_t kMaxRunnerNameLength = 64;
// The longest instance id a provider gives: EC2's "i-" and 17 hex digits.
inline constexpr std::size_t kLongestInstanceIdLength = 19;

// "ghscale-POOL-": what every runner name of the pool starts with.
std::string runner_name_prefix(std::string_view pool);
// The runner name of `instance_id`'s `registration`-th registration.
std::string runner_name_for(std::string_view pool, std::string_view instance_id, int registration = 1);
// The longest name runner_name_for gives the pool: an id of kLongestInstanceIdLength and
// up to `registrations` registrations per instance.
std::size_t longest_runner_name(std::string_view pool, int registrations);

}  // namespace ghscale
