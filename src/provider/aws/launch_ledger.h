// Where an AWS provider keeps its launches beyond its own process: the instances EC2 does
// not list yet, with their deadlines (recent_launches.h), and a group's desired capacity
// set but not shown yet. Without it a restart — or `reconcile --once` run by a schedule or
// a Lambda, a new process each time — while EC2 still lags counts none of them as supply
// and launches them again, past max_runners. The daemon gives the store's settings
// (app::store_launch_ledger); no ledger keeps memory in-process only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "provider/provider.h"

namespace ghscale::provider {

class LaunchLedger {
 public:
  virtual ~LaunchLedger() = default;
  // The value last written under `key`; nullopt when none was.
  virtual Result<std::optional<std::string>> read(std::string_view key) = 0;
  virtual Status write(std::string_view key, std::string_view value) = 0;
};

// What one provider keeps: launches awaited (each with its deadline) and, for a group,
// the desired capacity asked and until when it holds.
struct LedgerEntry {
  CloudInstance instance;
  TimePoint deadline;
};
struct LedgerState {
  std::vector<LedgerEntry> unseen;
  std::optional<std::pair<int, TimePoint>> asked;  // desired capacity, until
};

std::string encode_ledger(const LedgerState& state);
// kInvalid for text that is not a ledger (then the provider starts with nothing).
Result<LedgerState> decode_ledger(std::string_view text);

// What `ledger` holds under `key`, with its entries past their deadline at `now` left
// out; an empty state when nothing was written. Nullopt when it cannot be read or is not a
// ledger: that is logged for `pool` with `consequence` (what the provider does instead).
std::optional<LedgerState> load_ledger(LaunchLedger& ledger, std::string_view key, std::string_view pool, TimePoint now,
                                       std::string_view consequence);

}  // namespace ghscale::provider
