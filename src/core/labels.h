// Runner labels. GitHub compares labels case-insensitively, so a LabelSet stores them
// lower-cased, sorted and unique; subset tests are then a linear merge.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace ghscale {

class LabelSet {
 public:
  LabelSet() = default;
  LabelSet(std::initializer_list<std::string_view> labels);
  explicit LabelSet(const std::vector<std::string>& labels);

  void add(std::string_view label);
  bool contains(std::string_view label) const;
  // True when every label of *this is in other.
  bool subset_of(const LabelSet& other) const;

  const std::vector<std::string>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  // "a,b,c" — a stable key for storage and maps.
  std::string joined(char sep = ',') const;

  friend bool operator==(const LabelSet&, const LabelSet&) = default;

 private:
  std::vector<std::string> items_;
};

// Parses a joined() string back.
LabelSet parse_labels(std::string_view joined, char sep = ',');

}  // namespace ghscale
