#include "core/labels.h"

#include <algorithm>
#include <cctype>

namespace ghscale {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

LabelSet::LabelSet(std::initializer_list<std::string_view> labels) {
  for (auto l : labels) add(l);
}

LabelSet::LabelSet(const std::vector<std::string>& labels) {
  for (const auto& l : labels) add(l);
}

void LabelSet::add(std::string_view label) {
  if (label.empty()) return;
  std::string l = lower(label);
  auto it = std::lower_bound(items_.begin(), items_.end(), l);
  if (it == items_.end() || *it != l) items_.insert(it, std::move(l));
}

bool LabelSet::contains(std::string_view label) const {
  return std::binary_search(items_.begin(), items_.end(), lower(label));
}

bool LabelSet::subset_of(const LabelSet& other) const {
  return std::includes(other.items_.begin(), other.items_.end(), items_.begin(), items_.end());
}

std::string LabelSet::joined(char sep) const {
  std::string out;
  for (const auto& l : items_) {
    if (!out.empty()) out += sep;
    out += l;
  }
  return out;
}

LabelSet parse_labels(std::string_view joined, char sep) {
  LabelSet set;
  std::size_t start = 0;
  while (start <= joined.size()) {
    std::size_t end = joined.find(sep, start);
    if (end == std::string_view::npos) end = joined.size();
    set.add(joined.substr(start, end - start));
    start = end + 1;
  }
  return set;
}

}  // namespace ghscale
