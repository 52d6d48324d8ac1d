// The daemon's HTTP surface: which path goes to which handler. Wiring only.
#pragma once

#include <atomic>

#include "config/config.h"
#include "http/server.h"

namespace ghscale::app {

class Routes {
 public:
  explicit Routes(const config::Config& cfg) : cfg_(cfg) {}

  http::AsyncHandler handler();
  void set_ready(bool ready) { ready_ = ready; }

 private:
  http::Response route(const http::Request& req) const;

  const config::Config& cfg_;
  std::atomic<bool> ready_{true};
};

}  // namespace ghscale::app
