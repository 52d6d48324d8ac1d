#include "provider/provider.h"

namespace ghscale::provider {

std::string_view to_string(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::kPending: return "pending";
    case Lifecycle::kRunning: return "running";
    case Lifecycle::kStopping: return "stopping";
    case Lifecycle::kTerminated: return "terminated";
  }
  return "unknown";
}

}  // namespace ghscale::provider
