// The webhook handler's EventSink backed by the Store: a delivery is acknowledged only
// once record() has returned, that is once it is durable.
#pragma once

#include <memory>

#include "store/store.h"
#include "webhook/event_sink.h"

namespace ghscale::app {

class StoreSink final : public webhook::EventSink {
 public:
  explicit StoreSink(std::shared_ptr<store::Store> store) : store_(std::move(store)) {}

  Result<webhook::RecordOutcome> record(const JobEvent& event) override {
    auto r = store_->record(event);
    if (!r) return r.error();
    return *r == store::RecordOutcome::kDuplicate ? webhook::RecordOutcome::kDuplicate
                                                  : webhook::RecordOutcome::kRecorded;
  }

  bool ready() override { return store_->ping().ok(); }

 private:
  std::shared_ptr<store::Store> store_;
};

}  // namespace ghscale::app
