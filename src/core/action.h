// One entry of the action log (the original system's "last actions"): what the scaler
// did, why, and how it went. Cooldown reads the last scale action of a pool from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace ghscale {

enum class ActionKind { kScaleOut, kScaleIn, kRegister, kDeregister, kTerminate, kProtect, kUnprotect, kCleanup };
std::string_view to_string(ActionKind kind);
std::optional<ActionKind> parse_action_kind(std::string_view text);

struct Action {
  std::int64_t id = 0;  // assigned by the store
  TimePoint at{};
  std::string pool;
  ActionKind kind = ActionKind::kScaleOut;
  std::int64_t count = 0;
  std::string reason;
  std::string result;  // "ok" or an error description
};

}  // namespace ghscale
