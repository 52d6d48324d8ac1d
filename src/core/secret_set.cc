#include "core/secret_set.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>

namespace ghscale::log {
namespace {

constexpr std::size_t kKeyBytes = 4;
constexpr std::size_t kFilterSlots = std::size_t{1} << 16;

std::uint64_t hash_of(std::string_view s) { return std::hash<std::string_view>{}(s); }

// The hash alone would do, but mixing in the length keeps two values of different
// lengths apart even if their hashes met.
std::uint64_t id_of(std::uint64_t hash, std::size_t length) {
  return hash ^ (static_cast<std::uint64_t>(length) * 0x9E3779B97F4A7C15ULL);
}

std::uint32_t load_key(const char* p) {
  std::uint32_t key;
  std::memcpy(&key, p, kKeyBytes);
  return key;
}

std::size_t slot_of(std::uint32_t key) { return (key * 2654435761U) >> 16; }

// The key comes from the middle of the value: values of one kind often share a prefix
// (every JIT config is base64 of '{"...') or a suffix, but rarely their middle bytes.
std::size_t key_offset_of(std::size_t length) { return (length - kKeyBytes) / 2; }

}  // namespace

SecretSet::SecretSet(Limits limits) : limits_(limits), filter_(kFilterSlots, 0) {
  // The filter counters must not overflow; a larger configuration is a programming error.
  if (limits_.long_lived + limits_.recent >= std::numeric_limits<std::uint16_t>::max()) std::abort();
}

bool SecretSet::add_long_lived(std::string_view secret, Clock::time_point now) {
  if (secret.size() < kMinLength) return true;
  const std::uint64_t hash = hash_of(secret);
  const std::uint64_t id = id_of(hash, secret.size());
  const bool budget_left = long_lived_ < limits_.long_lived;
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (e.long_lived) return true;
    if (budget_left) {  // promoted: it no longer counts against the recent values
      recent_.erase(e.age);
      e.long_lived = true;
      ++long_lived_;
      return true;
    }
    recent_.splice(recent_.end(), recent_, e.age);
    e.expires = Clock::time_point::max();
    return false;
  }
  insert(id, secret, budget_left, Clock::time_point::max());
  evict(now);
  return budget_left;
}

void SecretSet::add_ephemeral(std::string_view secret, Clock::duration ttl, Clock::time_point now) {
  if (secret.size() < kMinLength) return;
  const std::uint64_t hash = hash_of(secret);
  const std::uint64_t id = id_of(hash, secret.size());
  const Clock::time_point expires = ttl >= Clock::time_point::max() - now ? Clock::time_point::max() : now + ttl;
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (e.long_lived) return;
    recent_.splice(recent_.end(), recent_, e.age);
    e.expires = std::max(e.expires, expires);
  } else {
    insert(id, secret, false, expires);
  }
  evict(now);
}

void SecretSet::insert(std::uint64_t id, std::string_view secret, bool long_lived, Clock::time_point expires) {
  Entry e{};
  e.hash = hash_of(secret);
  e.length = static_cast<std::uint32_t>(secret.size());
  e.key_offset = static_cast<std::uint32_t>(key_offset_of(secret.size()));
  e.key = load_key(secret.data() + e.key_offset);
  e.long_lived = long_lived;
  e.expires = expires;
  if (long_lived) {
    ++long_lived_;
  } else {
    e.age = recent_.insert(recent_.end(), id);
  }
  by_key_.emplace(e.key, id);
  ++filter_[slot_of(e.key)];
  entries_.emplace(id, e);
}

void SecretSet::erase(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const Entry& e = it->second;
  auto [first, last] = by_key_.equal_range(e.key);
  for (auto k = first; k != last; ++k) {
    if (k->second == id) {
      by_key_.erase(k);
      break;
    }
  }
  --filter_[slot_of(e.key)];
  if (e.long_lived) {
    --long_lived_;
  } else {
    recent_.erase(e.age);
  }
  entries_.erase(it);
}

// Drops the oldest recent values past the limit and expired ones at the old end. An
// expired value further in stays until it reaches that end, but is no longer matched.
void SecretSet::evict(Clock::time_point now) {
  while (!recent_.empty()) {
    const std::uint64_t oldest = recent_.front();
    const bool over = recent_.size() > limits_.recent;
    if (!over && entries_.at(oldest).expires > now) break;
    erase(oldest);
  }
}

std::vector<std::pair<std::size_t, std::size_t>> SecretSet::find(std::string_view text, Clock::time_point now) const {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  if (entries_.empty() || text.size() < kKeyBytes) return ranges;
  for (std::size_t q = 0; q + kKeyBytes <= text.size(); ++q) {
    const std::uint32_t key = load_key(text.data() + q);
    if (filter_[slot_of(key)] == 0) continue;
    auto [first, last] = by_key_.equal_range(key);
    for (auto k = first; k != last; ++k) {
      const Entry& e = entries_.at(k->second);
      if (q < e.key_offset) continue;
      const std::size_t start = q - e.key_offset;
      if (start + e.length > text.size()) continue;
      if (!e.long_lived && e.expires <= now) continue;
      if (hash_of(text.substr(start, e.length)) != e.hash) continue;
      ranges.emplace_back(start, start + e.length);
    }
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<std::size_t, std::size_t>> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.first < merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

}  // namespace ghscale::log
