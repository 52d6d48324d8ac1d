// In-memory EventSink (real code, for tests, the sandbox and benchmarks) and a wrapper that
// injects failures, in the manner of leveldb's memenv and ErrorEnv. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "webhook/event_sink.h"

namespace ghscale::webhook {

// Keeps every recorded event in order; a delivery id seen before is a duplicate.
class MemorySink final : public EventSink {
 public:
  Result<RecordOutcome> record(const JobEvent& event) override;
  bool ready() override { return true; }

  std::vector<JobEvent> events() const;  // a copy, in record order
  std::size_t size() const;
  bool contains(std::string_view delivery_id) const;
  void clear();

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::string> delivery_ids_;  // guarded by mu_
  std::vector<JobEvent> events_;                  // guarded by mu_
};

// Forwards to a target sink, except that it can be told to fail the next N records with a
// given kind (the target is not called for those) or to report not ready.
class FailingSink final : public EventSink {
 public:
  explicit FailingSink(std::shared_ptr<EventSink> target);

  Result<RecordOutcome> record(const JobEvent& event) override;
  // An injected failure answers at once; otherwise the target's record_async().
  void record_async(const JobEvent& event, RecordDone done) override;
  bool records_asynchronously() const override { return target_->records_asynchronously(); }
  bool ready() override;

  void fail_next(int count, ErrorKind kind = ErrorKind::kRetryable);
  void set_ready(bool ready);
  int failures_injected() const;

 private:
  std::optional<Error> injected_failure();

  const std::shared_ptr<EventSink> target_;
  mutable std::mutex mu_;
  int fail_remaining_ = 0;                       // guarded by mu_
  ErrorKind fail_kind_ = ErrorKind::kRetryable;  // guarded by mu_
  int failures_injected_ = 0;                    // guarded by mu_
  bool ready_ = true;                            // guarded by mu_
};

}  // namespace ghscale::webhook
