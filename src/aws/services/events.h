// EventBridge PutEvents (the Lambda mode's wake-up). Partial failures come back per
// entry, in the order sent. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/aws_client.h"

namespace ghscale::aws {

struct EventEntry {
  std::string source;          // "ghscale.webhook"
  std::string detail_type;     // "workflow_job"
  std::string detail;          // a JSON object as text
  std::string event_bus_name;  // empty = default
  std::vector<std::string> resources;
};

struct EventEntryResult {
  std::string event_id;  // empty when this entry failed
  std::string error_code;
  std::string error_message;
  bool ok() const { return error_code.empty(); }
};

struct PutEventsResult {
  int failed_count = 0;
  std::vector<EventEntryResult> entries;  // one per entry sent
};

class EventBridgeClient {
 public:
  explicit EventBridgeClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

  // Sends 10 entries a call (the service's limit).
  Result<PutEventsResult> put_events(const std::vector<EventEntry>& entries);

  AwsClient& raw() { return *client_; }

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ghscale::aws
