// The shared webhook examples (npm @octokit/webhooks-examples), flattened for tests: one
// entry per example payload with the compact JSON body that a test signs and sends.
#pragma once

#include <boost/json/value.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "http/message.h"

namespace ghscale::webhook::testing {

struct Example {
  std::string event;   // "workflow_job", "ping", ...
  std::string action;  // "" for ping
  std::string body;    // compact JSON as it is signed and sent
  boost::json::object payload;
  std::string delivery_id;  // unique per example
};

std::vector<Example> load_examples(const std::filesystem::path& testdata);

inline constexpr char kSecret[] = "test-webhook-secret-\xC3\xA9-not-real";  // non-ASCII on purpose

// A request as GitHub sends it: POST, delivery headers, signature over the body.
http::Request github_request(const std::string& event, const std::string& delivery_id, std::string body,
                             const std::string& secret = kSecret, const std::string& content_type = "application/json",
                             const std::string& path = "/webhook");

}  // namespace ghscale::webhook::testing
