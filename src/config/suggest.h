// "did you mean ...?" for unknown keys and values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ghscale::config {

// The candidate closest to `word` by edit distance, when close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace ghscale::config
