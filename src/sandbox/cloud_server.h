// Serves a Provider (the sandbox's simulated cloud) on loopback in the wire format of
// provider/remote/wire.h, so daemons in other processes can launch into it. Remembers
// which process made each changing call (launch, terminate, protect, hand-over), which
// is how tests see that only the lease holder acts. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "http/server.h"
#include "provider/provider.h"

namespace ghscale::sandbox {

struct CloudCall {
  TimePoint at{};     // on the server's clock
  std::string process;  // the caller's X-Ghscale-Process
  std::string op;       // "launch", "terminate", "protect", "hand-over"
};

class CloudServer {
 public:
  static Result<std::unique_ptr<CloudServer>> start(std::shared_ptr<provider::Provider> cloud,
                                                    std::shared_ptr<Clock> clock, int threads = 2);
  ~CloudServer();
  CloudServer(const CloudServer&) = delete;
  CloudServer& operator=(const CloudServer&) = delete;

  std::uint16_t port() const;
  std::string endpoint_url() const;  // http://127.0.0.1:PORT
  std::vector<CloudCall> calls() const;  // changing calls, oldest first
  void shutdown();

 private:
  struct State;
  explicit CloudServer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace ghscale::sandbox
