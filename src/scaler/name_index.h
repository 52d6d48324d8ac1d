// A pass's lookup by name (runner names, instance ids): a sorted vector, built once and
// read many times. One allocation instead of a node per entry: a pass looks up every live
// instance several times, and a hash map's nodes were most of its allocations.
// Entries are ordered by the key's hash first: the names of one pool share a long prefix
// ("ghscale-<pool>-i-..."), so ordering by the text compared those bytes at every step of
// every sort and search; a hash order compares one integer, the text only on a match.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace ghscale::scaler {

template <typename T>
class NameIndex {
 public:
  struct Entry {
    std::string_view first;  // the key
    T second;                // the value
    std::size_t hash = 0;
  };

  void reserve(std::size_t n) { entries_.reserve(n); }
  // Keys must outlive the index. Several values may share a key.
  void add(std::string_view key, T value) {
    entries_.push_back(Entry{key, std::move(value), std::hash<std::string_view>{}(key)});
    sealed_ = false;
  }
  // Sorts; the values of one key stay in the order they were added.
  void seal() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.hash != b.hash ? a.hash < b.hash : a.first < b.first;
    });
    sealed_ = true;
  }
  // Every value added under key (empty when none).
  std::span<const Entry> range(std::string_view key) const {
    const std::size_t h = std::hash<std::string_view>{}(key);
    auto lo = std::lower_bound(entries_.begin(), entries_.end(), h, [](const Entry& e, std::size_t k) { return e.hash < k; });
    // Keys that share the hash are rare; step over the ones that differ.
    while (lo != entries_.end() && lo->hash == h && lo->first != key) ++lo;
    auto hi = lo;
    while (hi != entries_.end() && hi->hash == h && hi->first == key) ++hi;
    return {lo, hi};
  }
  // The first value added under key, or nullptr.
  const T* find(std::string_view key) const {
    auto r = range(key);
    return r.empty() ? nullptr : &r.front().second;
  }
  bool contains(std::string_view key) const { return !range(key).empty(); }
  bool sealed() const { return sealed_; }

 private:
  std::vector<Entry> entries_;
  bool sealed_ = true;
};

}  // namespace ghscale::scaler
