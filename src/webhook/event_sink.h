// Where the webhook handler puts workflow_job events, and whom it tells. The daemon's Store
// implements EventSink; tests use MemorySink (memory_sink.h). Implementations must be
// thread-safe: the server calls the handler from several threads.
#pragma once

#include <functional>

#include "core/error.h"
#include "core/job.h"

namespace ghscale::webhook {

enum class RecordOutcome {
  kRecorded,   // stored durably for the first time
  kDuplicate,  // this delivery id was stored before; nothing changed
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Stores the event durably, deduplicated by JobEvent::delivery_id, before returning.
  // The handler acknowledges a delivery only after this succeeds.
  virtual Result<RecordOutcome> record(const JobEvent& event) = 0;
  // The same without holding the caller's thread: `done` is called exactly once, when the
  // event is durable or the write failed, from any thread, and must not block. `event`
  // stays valid until then. The default is record() and then done on the caller's thread.
  using RecordDone = std::function<void(Result<RecordOutcome>)>;
  virtual void record_async(const JobEvent& event, RecordDone done) { done(record(event)); }
  // True when record_async() returns without waiting for the write, so a server may call
  // it from its I/O threads.
  virtual bool records_asynchronously() const { return false; }
  // False while the sink cannot take writes (store not open, lease lost); the handler
  // then answers 503 without trying. Also what a readiness probe reports.
  virtual bool ready() = 0;
};

// Told after an event is newly recorded, so the scaler runs now rather than at the next
// tick. Must not block: a wake-up is a hint, the stored event is the truth.
class Waker {
 public:
  virtual ~Waker() = default;
  virtual void wake(const JobEvent& event) = 0;
};

}  // namespace ghscale::webhook
