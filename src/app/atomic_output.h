// A file a command writes as its output (workload export, simulate's --csv, --html and
// --export-workload): opened before the work, so an unwritable destination fails at once
// and costs no run; written to a temporary file beside it and renamed into place once
// complete, so a failed command leaves nothing behind (and never half of an earlier file).
#pragma once

#include <fstream>
#include <optional>
#include <string>

namespace ghscale::app {

class AtomicOutput {
 public:
  AtomicOutput() = default;
  ~AtomicOutput();  // removes the temporary file of an output never committed
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  // Opens the temporary file beside `path`; the problem, naming the path and the reason,
  // when it cannot be written there.
  std::optional<std::string> open(const std::string& path);
  // Writes `text` and renames it into place; the problem when that failed.
  std::optional<std::string> commit(const std::string& text);
  bool is_open() const { return !tmp_.empty(); }

 private:
  std::string path_;
  std::string tmp_;
  std::ofstream out_;
};

}  // namespace ghscale::app
