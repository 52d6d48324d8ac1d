#include "store/lease_rules.h"

#include <string>

namespace ghscale::store {
namespace {

bool live(const Lease& lease, TimePoint now) { return now < lease.expires_at; }

Error held_by_other(const Lease& lease, std::string_view name) {
  return make_error(ErrorKind::kConflict, "lease '" + std::string(name) + "' is held by '" + lease.holder +
                                              "' until " + std::to_string(to_unix_ms(lease.expires_at)) +
                                              " (unix ms); retry after it expires or is released");
}

Error invalid_ttl(std::string_view name) {
  return make_error(ErrorKind::kInvalid, "lease '" + std::string(name) + "': ttl must be positive");
}

}  // namespace

Result<Lease> lease_after_acquire(const std::optional<Lease>& current, std::string_view name,
                                  std::string_view holder, Duration ttl, TimePoint now) {
  if (ttl <= Duration::zero()) return invalid_ttl(name);
  if (holder.empty()) return make_error(ErrorKind::kInvalid, "lease '" + std::string(name) + "': holder is empty");
  if (current && live(*current, now) && current->holder != holder) return held_by_other(*current, name);
  Lease next{std::string(name), std::string(holder), now + ttl, 1};
  if (current) {
    // Same live holder keeps its token (an extension); a change of hands gets a new one.
    const bool extension = live(*current, now) && current->holder == holder;
    next.token = extension ? current->token : current->token + 1;
  }
  return next;
}

Result<Lease> lease_after_renew(const std::optional<Lease>& current, std::string_view name,
                                std::string_view holder, Duration ttl, TimePoint now) {
  if (ttl <= Duration::zero()) return invalid_ttl(name);
  if (!current || !live(*current, now)) {
    return make_error(ErrorKind::kConflict, "lease '" + std::string(name) + "' is not held by '" +
                                                std::string(holder) + "' (expired or released); acquire it again");
  }
  if (current->holder != holder) return held_by_other(*current, name);
  Lease next = *current;
  next.expires_at = now + ttl;
  return next;
}

Status check_release(const std::optional<Lease>& current, std::string_view name, std::string_view holder,
                     TimePoint now) {
  if (current && live(*current, now) && current->holder != holder) return held_by_other(*current, name);
  return ok_status();
}

}  // namespace ghscale::store
