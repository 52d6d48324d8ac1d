// Helpers shared by the store tests: a temporary directory, job events, and the list of
// backends the conformance suite runs against.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/job.h"
#include "store/store.h"

namespace ghscale::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

JobEvent make_event(std::string delivery_id, std::int64_t job_id, JobStatus status, LabelSet labels = {"self-hosted"},
                    TimePoint received_at = TimePoint{});

// One backend under test. `make` opens a store in `dir` (reopening the same one when
// called again with the same dir, for backends that persist).
struct Backend {
  std::string name;
  bool persistent = false;
  std::function<std::unique_ptr<Store>(const std::filesystem::path& dir, std::shared_ptr<Clock> clock)> make;
  // Why this backend cannot run here ("" when it can); tests skip visibly then.
  std::function<std::string()> unavailable = [] { return std::string(); };
};

Backend memory_backend();
Backend sqlite_backend();
// Against dynalite on loopback: one fresh table per test directory.
Backend dynamodb_backend();

std::string read_bytes(const std::string& path);

}  // namespace ghscale::store::testing
