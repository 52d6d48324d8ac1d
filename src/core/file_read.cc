#include "core/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace ghscale {
namespace {

Error fail(const std::string& why) { return make_error(ErrorKind::kInvalid, why); }

std::string too_large(std::size_t max_bytes) { return "larger than " + std::to_string(max_bytes) + " bytes"; }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The file opened for reading, once it is known to be a regular file of at most max_bytes.
Result<std::unique_ptr<Fd>> open_regular(const std::string& path, std::size_t max_bytes) {
  if (path.empty()) return fail("an empty file name");
  // Non-blocking, so that opening a FIFO with no writer does not wait for one; the type
  // is checked on the open descriptor, so a file swapped after a stat() cannot slip by.
  auto fd = std::make_unique<Fd>(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd->get() < 0) return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return fail(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return fail(std::strerror(EISDIR));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_bytes) return fail(too_large(max_bytes));
  return fd;
}

}  // namespace

Status check_regular_file(const std::string& path, std::size_t max_bytes) {
  auto fd = open_regular(path, max_bytes);
  if (!fd.ok()) return fd.error();
  return ok_status();
}

Result<std::string> read_regular_file(const std::string& path, std::size_t max_bytes) {
  auto fd = open_regular(path, max_bytes);
  if (!fd.ok()) return fd.error();
  // The size may change while it is read (or be 0, as for /proc files): read to the end,
  // but never past max_bytes.
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read((*fd)->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(std::strerror(errno));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) return fail(too_large(max_bytes));
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace ghscale
