// Reading a whole file that a user named (a config, a secret, a workload), bounded: only a
// regular file is read (a FIFO would block and a device never end), at most max_bytes of
// it, and every failure is an error value naming the file and the reason, never an
// exception (a symlink loop, a directory, a file too large).
#pragma once

#include <cstddef>
#include <string>

#include "core/error.h"

namespace ghscale {

// The contents of `path`. Errors are kInvalid and their message is the reason alone
// ("not a regular file", "larger than 16777216 bytes", strerror's text): the caller names
// the file in its own words.
Result<std::string> read_regular_file(const std::string& path, std::size_t max_bytes);

// What read_regular_file would refuse before reading a byte (missing, not a regular file,
// larger than max_bytes, unreadable): for a check that must not touch the contents, such
// as a secret's at validation time.
Status check_regular_file(const std::string& path, std::size_t max_bytes);

}  // namespace ghscale
