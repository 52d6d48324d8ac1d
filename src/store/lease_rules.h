// The lease rules as pure functions over the current lease row, shared by every backend.
// A backend reads the row, asks these functions, and writes the answer back atomically
// (a mutex for memory, one BEGIN IMMEDIATE transaction for SQLite).
#pragma once

#include <optional>
#include <string_view>

#include "core/error.h"
#include "store/store.h"

namespace ghscale::store {

// The lease after `holder` acquires it, or kConflict while another holder's lease is live.
Result<Lease> lease_after_acquire(const std::optional<Lease>& current, std::string_view name,
                                  std::string_view holder, Duration ttl, TimePoint now);
// The lease after `holder` renews it, or kConflict unless `holder` holds it live.
Result<Lease> lease_after_renew(const std::optional<Lease>& current, std::string_view name,
                                std::string_view holder, Duration ttl, TimePoint now);
// Whether `holder` may release: ok when it holds it or nobody holds it live.
Status check_release(const std::optional<Lease>& current, std::string_view name, std::string_view holder,
                     TimePoint now);

}  // namespace ghscale::store
