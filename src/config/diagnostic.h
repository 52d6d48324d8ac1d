// A configuration problem a user can act on: FILE:LINE:COL: key.path: what is wrong.
#pragma once

#include <string>
#include <vector>

namespace ghscale::config {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position (unreadable file)
  int column = 0;  // 1-based
  std::string path;  // "pools[0].min_idle"; empty for file-level problems
  std::string message;

  std::string format() const;
};

std::string format_all(const std::vector<Diagnostic>& diagnostics);

}  // namespace ghscale::config
