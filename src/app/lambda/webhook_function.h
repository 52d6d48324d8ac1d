// The Lambda `webhook` function: an API Gateway proxy event (HTTP API 2.0 or REST 1.0)
// → the daemon's webhook::Handler (HMAC on the raw body; the job stored before any 2xx)
// → EventBridge PutEvents on the configured bus, so the state machine runs a reconcile
// → the proxy answer. A delivery the store accepted (new or duplicate) is announced; when
// the announcement fails the answer is 503, so a redelivery (a duplicate, announced again)
// retries it. The event: source "ghscale.webhook", detail-type the GitHub event name,
// detail {"delivery","action","job_id","run_id","repository","labels","status","runner_name"}.
// One invocation at a time (the Lambda runtime's model).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aws/services/events.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"
#include "webhook/handler.h"

namespace ghscale::app::lambda {

inline constexpr std::string_view kWebhookEventSource = "ghscale.webhook";

struct WebhookFunctionOptions {
  webhook::HandlerConfig handler;  // path is ignored: API Gateway routed the request here
  std::shared_ptr<store::Store> store;
  std::shared_ptr<aws::EventBridgeClient> events;
  std::string event_bus = "default";
  std::shared_ptr<const Clock> clock;  // null = the system clock
};

class WebhookFunction {
 public:
  // kInvalid as webhook::Handler::create (no secret).
  static Result<std::unique_ptr<WebhookFunction>> create(WebhookFunctionOptions options);
  ~WebhookFunction();

  // The proxy answer; an error only for an event that is not an API Gateway proxy event.
  Result<std::string> invoke(std::string_view event_json);

 private:
  struct Parts;
  explicit WebhookFunction(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// The detail JSON of a job event's EventBridge announcement.
std::string event_detail(const JobEvent& event, bool duplicate);

}  // namespace ghscale::app::lambda
