// A `ghscale serve` child process for the whole-process benchmarks (reaction, memory):
// started with a config file and extra environment, its stderr kept in a file (the port
// comes from the "listening" log line), its memory read from /proc/PID/status. Stopped
// with SIGTERM (then SIGKILL) on destruction. Not thread-safe; one owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace ghscale::bench {

struct MemoryUse {
  double rss_mb = 0;  // VmRSS: resident now
  double hwm_mb = 0;  // VmHWM: the most ever resident
};

class DaemonProcess {
 public:
  // env: "NAME=value" entries added to this process's environment for the child.
  static Result<std::unique_ptr<DaemonProcess>> start(const std::string& binary, const std::filesystem::path& config,
                                                      const std::vector<std::string>& env,
                                                      const std::filesystem::path& log,
                                                      std::chrono::seconds startup_timeout = std::chrono::seconds(20));
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const;  // http://127.0.0.1:PORT + path
  bool running();
  Result<MemoryUse> memory() const;
  // The end of the log, for error messages.
  std::string log_tail(std::size_t bytes = 2000) const;

 private:
  DaemonProcess(pid_t pid, std::filesystem::path log) : pid_(pid), log_(std::move(log)) {}
  pid_t pid_;
  std::uint16_t port_ = 0;
  std::filesystem::path log_;
  bool reaped_ = false;
};

// The q-quantile (0..1) of `values` by nearest rank; 0 when empty.
double percentile(std::vector<double> values, double q);

// A fresh temporary folder under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ghscale::bench
