// A pass's lookup by name (runner names, instance ids): a sorted vector, built once and
// read many times. One allocation instead of a node per entry: a pass looks up every live
// instance several times, and a hash map's nodes were most of its allocations.
#pragma once

#include <algorithm>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace ghscale::scaler {

template <typename T>
class NameIndex {
 public:
  void reserve(std::size_t n) { entries_.reserve(n); }
  // Keys must outlive the index. Several values may share a key.
  void add(std::string_view key, T value) {
    entries_.emplace_back(key, std::move(value));
    sealed_ = false;
  }
  // Sorts; the values of one key stay in the order they were added.
  void seal() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    sealed_ = true;
  }
  // Every value added under key (empty when none).
  std::span<const std::pair<std::string_view, T>> range(std::string_view key) const {
    auto lo = std::lower_bound(entries_.begin(), entries_.end(), key, [](const auto& e, std::string_view k) { return e.first < k; });
    auto hi = lo;
    while (hi != entries_.end() && hi->first == key) ++hi;
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
  std::vector<std::pair<std::string_view, T>> entries_;
  bool sealed_ = true;
};

}  // namespace ghscale::scaler
