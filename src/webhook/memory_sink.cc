#include "webhook/memory_sink.h"

#include <utility>

namespace ghscale::webhook {

Result<RecordOutcome> MemorySink::record(const JobEvent& event) {
  if (event.delivery_id.empty()) return make_error(ErrorKind::kInvalid, "event has no delivery id");
  std::lock_guard lock(mu_);
  if (!delivery_ids_.insert(event.delivery_id).second) return RecordOutcome::kDuplicate;
  events_.push_back(event);
  return RecordOutcome::kRecorded;
}

std::vector<JobEvent> MemorySink::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::size_t MemorySink::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

bool MemorySink::contains(std::string_view delivery_id) const {
  std::lock_guard lock(mu_);
  return delivery_ids_.contains(std::string(delivery_id));
}

void MemorySink::clear() {
  std::lock_guard lock(mu_);
  delivery_ids_.clear();
  events_.clear();
}

FailingSink::FailingSink(std::shared_ptr<EventSink> target) : target_(std::move(target)) {}

std::optional<Error> FailingSink::injected_failure() {
  std::lock_guard lock(mu_);
  if (fail_remaining_ <= 0) return std::nullopt;
  --fail_remaining_;
  ++failures_injected_;
  return make_error(fail_kind_, "injected failure");
}

Result<RecordOutcome> FailingSink::record(const JobEvent& event) {
  if (auto failure = injected_failure()) return *failure;
  return target_->record(event);
}

void FailingSink::record_async(const JobEvent& event, RecordDone done) {
  if (auto failure = injected_failure()) return done(*failure);
  target_->record_async(event, std::move(done));
}

bool FailingSink::ready() {
  {
    std::lock_guard lock(mu_);
    if (!ready_) return false;
  }
  return target_->ready();
}

void FailingSink::fail_next(int count, ErrorKind kind) {
  std::lock_guard lock(mu_);
  fail_remaining_ = count;
  fail_kind_ = kind;
}

void FailingSink::set_ready(bool ready) {
  std::lock_guard lock(mu_);
  ready_ = ready;
}

int FailingSink::failures_injected() const {
  std::lock_guard lock(mu_);
  return failures_injected_;
}

}  // namespace ghscale::webhook
