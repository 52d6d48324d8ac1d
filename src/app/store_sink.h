// The webhook handler's EventSink backed by the Store: a delivery is acknowledged only
// once record() has returned (or record_async() has completed), that is once it is durable.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "store/store.h"
#include "webhook/event_sink.h"

namespace ghscale::app {

class StoreSink final : public webhook::EventSink {
 public:
  explicit StoreSink(std::shared_ptr<store::Store> store) : store_(std::move(store)) {}

  Result<webhook::RecordOutcome> record(const JobEvent& event) override { return convert(store_->record(event)); }

  void record_async(const JobEvent& event, RecordDone done) override {
    store_->record_async(event, [done = std::move(done)](Result<store::RecordOutcome> r) { done(convert(r)); });
  }

  bool records_asynchronously() const override { return store_->records_asynchronously(); }

  // Asked before every delivery, so the store's ping (a read) runs at most once per
  // kReadyCheckInterval; a store that fails in between fails the write itself, which
  // answers 503 just the same.
  bool ready() override {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    const auto checked = checked_at_.load(std::memory_order_relaxed);
    if (checked != 0 && now - checked < kReadyCheckInterval.count()) return ready_.load(std::memory_order_relaxed);
    const bool ok = store_->ping().ok();
    ready_.store(ok, std::memory_order_relaxed);
    checked_at_.store(now, std::memory_order_relaxed);
    return ok;
  }

 private:
  static constexpr std::chrono::steady_clock::duration kReadyCheckInterval = std::chrono::milliseconds(250);

  static Result<webhook::RecordOutcome> convert(const Result<store::RecordOutcome>& r) {
    if (!r) return r.error();
    return *r == store::RecordOutcome::kDuplicate ? webhook::RecordOutcome::kDuplicate
                                                  : webhook::RecordOutcome::kRecorded;
  }

  std::shared_ptr<store::Store> store_;
  std::atomic<bool> ready_{false};
  std::atomic<std::chrono::steady_clock::rep> checked_at_{0};  // steady ticks; 0 = never
};

}  // namespace ghscale::app
