// Starting the real ghscale binary (and other helpers) from integration tests: a child
// with piped stdout/stderr, signals, and bounded waits. POSIX only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ghscale::testing {

class Subprocess {
 public:
  // Starts argv[0] with the given arguments; extra_env entries are "NAME=value".
  Subprocess(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  ~Subprocess();  // kills the child if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Reads stderr (and stdout) until pred(accumulated stderr) is true or the timeout passes.
  bool wait_for_stderr(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout);
  // Everything read so far (drains what is pending first).
  const std::string& out();
  const std::string& err();

 private:
  void drain(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> exit_code_;
};

// Runs a command to completion, capturing output.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(30),
              std::vector<std::string> extra_env = {});

}  // namespace ghscale::testing
