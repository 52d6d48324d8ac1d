// npm `dynalite` (a DynamoDB-compatible server) started on loopback for tests; found
// under $GHSCALE_NPM_PREFIX (default <source>/build/npm), where scripts/setup installs it.
#pragma once

#include <memory>
#include <string>

#include "support/subprocess.h"

namespace ghscale::testing {

struct DynaliteProcess {
  std::unique_ptr<Subprocess> child;  // null when unavailable
  std::string endpoint;               // "http://127.0.0.1:PORT"
  std::string unavailable;            // why not, for a visible skip

  ~DynaliteProcess();  // SIGTERM, then waits
};

std::unique_ptr<DynaliteProcess> start_dynalite();

}  // namespace ghscale::testing
