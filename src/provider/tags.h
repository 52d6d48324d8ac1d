// An instance's tags: a handful of key/value pairs, kept as a vector sorted by key. A
// describe copies every instance's tags on every call; as a std::map that was one node per
// tag (most of a simulated pass's allocations), here it is one block. Reads and writes as
// the std::map it replaces does, for the few calls providers make.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ghscale::provider {

class Tags {
 public:
  using value_type = std::pair<std::string, std::string>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  Tags() = default;
  Tags(std::initializer_list<value_type> pairs) {
    for (const auto& [k, v] : pairs) emplace(k, v);
  }

  // The value under key, inserted empty when absent (as std::map::operator[]).
  std::string& operator[](std::string_view key) {
    auto it = slot(key);
    if (it == items_.end() || it->first != key) it = items_.emplace(it, std::string(key), std::string());
    return it->second;
  }
  // Inserts unless the key is there already (as std::map::emplace).
  std::pair<iterator, bool> emplace(std::string key, std::string value) {
    auto it = slot(key);
    if (it != items_.end() && it->first == key) return {it, false};
    return {items_.emplace(it, std::move(key), std::move(value)), true};
  }
  const_iterator find(std::string_view key) const {
    auto it = std::lower_bound(items_.begin(), items_.end(), key, [](const value_type& e, std::string_view k) { return e.first < k; });
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  std::size_t count(std::string_view key) const { return find(key) == items_.end() ? 0 : 1; }
  bool contains(std::string_view key) const { return count(key) != 0; }
  const std::string& at(std::string_view key) const {
    auto it = find(key);
    if (it == items_.end()) throw std::out_of_range("no tag " + std::string(key));
    return it->second;
  }
  std::size_t erase(std::string_view key) {
    auto it = slot(key);
    if (it == items_.end() || it->first != key) return 0;
    items_.erase(it);
    return 1;
  }

  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }
  friend bool operator==(const Tags&, const Tags&) = default;

 private:
  iterator slot(std::string_view key) {
    return std::lower_bound(items_.begin(), items_.end(), key, [](const value_type& e, std::string_view k) { return e.first < k; });
  }
  std::vector<value_type> items_;  // sorted by key, keys unique
};

}  // namespace ghscale::provider
