// Opening the configured store backend, for the daemon and the CLI commands alike.
#pragma once

#include <memory>

#include "config/config.h"
#include "core/error.h"
#include "store/store.h"

namespace ghscale::app {

enum class StoreUse {
  kDaemon,    // creates the data directory and the store when missing
  kExisting,  // CLI reads and edits: the store must already exist
};

Result<std::unique_ptr<store::Store>> open_store(const config::Config& cfg, StoreUse use);

}  // namespace ghscale::app
