// Plain-text tables for the CLI, kubectl style: a header row, columns padded by two spaces.
#pragma once

#include <string>
#include <vector>

namespace ghscale::app {

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace ghscale::app
