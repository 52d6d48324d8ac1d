#include "core/action.h"

namespace ghscale {

std::string_view to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::kScaleOut: return "scale_out";
    case ActionKind::kScaleIn: return "scale_in";
    case ActionKind::kRegister: return "register";
    case ActionKind::kDeregister: return "deregister";
    case ActionKind::kTerminate: return "terminate";
    case ActionKind::kProtect: return "protect";
    case ActionKind::kUnprotect: return "unprotect";
    case ActionKind::kCleanup: return "cleanup";
  }
  return "scale_out";
}

std::optional<ActionKind> parse_action_kind(std::string_view text) {
  for (auto k : {ActionKind::kScaleOut, ActionKind::kScaleIn, ActionKind::kRegister, ActionKind::kDeregister,
                 ActionKind::kTerminate, ActionKind::kProtect, ActionKind::kUnprotect, ActionKind::kCleanup}) {
    if (to_string(k) == text) return k;
  }
  return std::nullopt;
}

}  // namespace ghscale
