#include "store/store.h"

namespace ghscale::store {

std::string_view to_string(RecordOutcome outcome) {
  switch (outcome) {
    case RecordOutcome::kRecorded: return "recorded";
    case RecordOutcome::kDuplicate: return "duplicate";
  }
  return "recorded";
}

}  // namespace ghscale::store
