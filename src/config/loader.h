// Loading and validating the configuration file. All problems are collected, never just
// the first, each as FILE:LINE:COL: key.path: what is wrong.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"

namespace ghscale::config {

struct LoadResult {
  std::optional<Config> config;  // set only when there are no errors
  std::vector<Diagnostic> errors;

  bool ok() const { return config.has_value(); }
};

// Reads and validates a file. Relative paths inside it (store.sqlite.path, TLS files,
// logging.file, file: secrets) are taken relative to the file's folder. Only a regular
// file of at most kMaxConfigBytes is read (a FIFO, a device or a runaway file is refused).
inline constexpr std::size_t kMaxConfigBytes = 16 << 20;
LoadResult load_config_file(const std::string& path);

// Validates YAML text; `name` stands for the file in diagnostics, `base_dir` anchors
// relative paths.
LoadResult load_config_text(std::string_view yaml, const std::string& name, const std::string& base_dir = ".");

}  // namespace ghscale::config
