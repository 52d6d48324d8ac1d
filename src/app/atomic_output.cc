#include "app/atomic_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ghscale::app {

namespace fs = std::filesystem;

AtomicOutput::~AtomicOutput() {
  if (!tmp_.empty()) {
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

std::optional<std::string> AtomicOutput::open(const std::string& path) {
  if (path.empty()) return std::string("an empty output file name");
  path_ = path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return path + " is a directory";
  if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0) return path + " is not writable";
  tmp_ = path + ".tmp-" + std::to_string(::getpid());
  errno = 0;
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    const int err = errno;
    tmp_.clear();
    return "cannot write " + path + (err != 0 ? std::string(": ") + std::strerror(err) : std::string());
  }
  return std::nullopt;
}

std::optional<std::string> AtomicOutput::commit(const std::string& text) {
  out_ << text;
  out_.close();
  if (!out_) return "writing " + path_ + " failed";
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) return "cannot rename into " + path_ + ": " + ec.message();
  tmp_.clear();
  return std::nullopt;
}

}  // namespace ghscale::app
