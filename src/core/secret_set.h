// The secret values the logger masks. Bounded: a fixed budget of long-lived values
// (configuration secrets, kept for the process life) and a fixed number of recent
// short-lived ones (runner credentials, installation tokens), oldest evicted first.
// Searching a text costs one hash probe per byte plus a check per candidate, whatever the
// number of values held, and no value is kept in clear: only its length, a 64-bit hash
// and a 4-byte key taken from its middle. Not thread-safe; log.cc guards it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ghscale::log {

class SecretSet {
 public:
  using Clock = std::chrono::steady_clock;
  // Values shorter than this are ignored: they would mask ordinary words.
  static constexpr std::size_t kMinLength = 4;

  struct Limits {
    std::size_t long_lived = 1024;
    std::size_t recent = 4096;
  };

  explicit SecretSet(Limits limits);

  // Kept for the process life while the long-lived budget lasts; past it, kept as a
  // recent value without expiry, so a caller registering per-runner credentials here
  // cannot grow the set. Returns false when the value went to the recent set for that
  // reason (the caller may warn once).
  bool add_long_lived(std::string_view secret, Clock::time_point now);
  // Masked until `now + ttl` or until evicted as the oldest of the recent values.
  void add_ephemeral(std::string_view secret, Clock::duration ttl, Clock::time_point now);

  // The byte ranges [begin, end) of text covered by a value present at `now`, ordered,
  // overlapping ones merged (a value containing another is masked whole).
  std::vector<std::pair<std::size_t, std::size_t>> find(std::string_view text, Clock::time_point now) const;

  std::size_t long_lived_count() const { return long_lived_; }
  std::size_t recent_count() const { return recent_.size(); }

 private:
  struct Entry {
    std::uint64_t hash;
    std::uint32_t length;
    std::uint32_t key_offset;  // where the 4-byte key starts inside the value
    std::uint32_t key;
    bool long_lived;
    Clock::time_point expires;               // recent values only
    std::list<std::uint64_t>::iterator age;  // recent values only: position in recent_
  };

  void insert(std::uint64_t id, std::string_view secret, bool long_lived, Clock::time_point expires);
  void erase(std::uint64_t id);
  void evict(Clock::time_point now);

  Limits limits_;
  std::unordered_map<std::uint64_t, Entry> entries_;             // by id (hash and length)
  std::unordered_multimap<std::uint32_t, std::uint64_t> by_key_;  // key -> ids
  std::list<std::uint64_t> recent_;                               // ids, oldest first
  // Counts of keys per 16-bit slot: most text positions are rejected here without a
  // hash-map probe. Counters, not bits, so eviction can clear them.
  std::vector<std::uint16_t> filter_;
  std::size_t long_lived_ = 0;
};

}  // namespace ghscale::log
