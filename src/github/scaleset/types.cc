#include "github/scaleset/types.h"

namespace ghscale::scaleset {

std::string_view to_string(JobEventKind kind) {
  switch (kind) {
    case JobEventKind::kAvailable:
      return "JobAvailable";
    case JobEventKind::kAssigned:
      return "JobAssigned";
    case JobEventKind::kStarted:
      return "JobStarted";
    case JobEventKind::kCompleted:
      return "JobCompleted";
  }
  return "JobAssigned";
}

}  // namespace ghscale::scaleset
