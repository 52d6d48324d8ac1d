// An in-memory Store: real code for tests, the sandbox and virtual-time simulation.
// Nothing survives the process. Thread-safe (one mutex; the work under it is small).
#pragma once

#include <memory>

#include "core/clock.h"
#include "store/store.h"

namespace ghscale::store {

// `clock` gives "now" for retention; leases take their time from the caller.
std::unique_ptr<Store> make_memory_store(std::shared_ptr<Clock> clock);

}  // namespace ghscale::store
