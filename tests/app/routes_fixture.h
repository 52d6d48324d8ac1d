// The daemon's routes in process: a memory store, no scaler, one status worker; GETs
// answered as the server would hand them over, from a given peer address.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "app/routes.h"
#include "store/memory_store.h"

namespace ghscale::app::testing {

class RoutesFixture : public ::testing::Test {
 protected:
  RoutesFixture() : store_(store::make_memory_store(system_clock())), routes_(cfg_, store_, nullptr, nullptr, 1) {}

  http::Response get(const std::string& target, const std::string& from, const std::string& authorization = "") {
    http::Request req;
    req.method = "GET";
    req.target = target;
    req.remote_address = from;
    if (!authorization.empty()) req.headers.set("Authorization", authorization);
    std::promise<http::Response> answered;
    routes_.handler()(std::move(req), [&](http::Response r) { answered.set_value(std::move(r)); });
    return answered.get_future().get();
  }

  config::Config cfg_;  // read by routes_ at each request: a test may change it
  std::shared_ptr<store::Store> store_;
  Routes routes_;
};

}  // namespace ghscale::app::testing
