#include "app/lambda/webhook_function.h"

#include <boost/json.hpp>

#include <mutex>
#include <optional>

#include "app/lambda/api_gateway.h"
#include "app/store_sink.h"
#include "core/log.h"

namespace ghscale::app::lambda {
namespace {

namespace json = boost::json;

// The store's sink, remembering what the current invocation recorded so that it can be
// announced once the handler has answered.
class RecordingSink final : public webhook::EventSink {
 public:
  explicit RecordingSink(std::shared_ptr<store::Store> store) : inner_(std::move(store)) {}

  Result<webhook::RecordOutcome> record(const JobEvent& event) override {
    auto r = inner_.record(event);
    if (r) {
      std::lock_guard lock(mu_);
      accepted_ = Accepted{event, *r == webhook::RecordOutcome::kDuplicate};
    }
    return r;
  }
  bool ready() override { return inner_.ready(); }

  struct Accepted {
    JobEvent event;
    bool duplicate = false;
  };
  std::optional<Accepted> take() {
    std::lock_guard lock(mu_);
    auto out = std::move(accepted_);
    accepted_.reset();
    return out;
  }

 private:
  StoreSink inner_;
  std::mutex mu_;
  std::optional<Accepted> accepted_;  // guarded by mu_
};

}  // namespace

std::string event_detail(const JobEvent& e, bool duplicate) {
  json::array labels;
  for (const auto& l : e.labels.items()) labels.emplace_back(l);
  json::object o{{"delivery", e.delivery_id},  {"action", e.action},         {"job_id", e.job_id},
                 {"run_id", e.run_id},         {"repository", e.repository}, {"labels", std::move(labels)},
                 {"status", std::string(to_string(e.status))}, {"duplicate", duplicate}};
  if (!e.runner_name.empty()) o["runner_name"] = e.runner_name;
  return json::serialize(o);
}

struct WebhookFunction::Parts {
  std::string path;
  std::shared_ptr<RecordingSink> sink;
  std::unique_ptr<webhook::Handler> handler;
  std::shared_ptr<aws::EventBridgeClient> events;
  std::string event_bus;
};

WebhookFunction::WebhookFunction(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
WebhookFunction::~WebhookFunction() = default;

Result<std::unique_ptr<WebhookFunction>> WebhookFunction::create(WebhookFunctionOptions o) {
  auto parts = std::make_unique<Parts>();
  parts->path = o.handler.path;
  parts->sink = std::make_shared<RecordingSink>(std::move(o.store));
  std::shared_ptr<const Clock> clock = o.clock ? o.clock : system_clock();
  auto handler = webhook::Handler::create(std::move(o.handler), clock, parts->sink);
  if (!handler) return handler.error();
  parts->handler = std::move(*handler);
  parts->events = std::move(o.events);
  parts->event_bus = std::move(o.event_bus);
  return std::unique_ptr<WebhookFunction>(new WebhookFunction(std::move(parts)));
}

Result<std::string> WebhookFunction::invoke(std::string_view event_json) {
  auto event = parse_proxy_event(event_json);
  if (!event) return event.error();
  // Whatever the stage or route prefix, API Gateway sent this request to the webhook.
  http::Request& req = event->request;
  const auto query = req.target.find('?');
  req.target = parts_->path + (query == std::string::npos ? std::string() : req.target.substr(query));

  (void)parts_->sink->take();
  http::Response res = parts_->handler->handle(req);
  auto accepted = parts_->sink->take();
  if (accepted && res.status / 100 == 2) {
    aws::EventEntry entry;
    entry.source = std::string(kWebhookEventSource);
    entry.detail_type = accepted->event.event;
    entry.detail = event_detail(accepted->event, accepted->duplicate);
    entry.event_bus_name = parts_->event_bus;
    auto put = parts_->events->put_events({entry});
    std::string failure;
    if (!put) {
      failure = put.error().describe();
    } else if (put->failed_count > 0 || put->entries.empty() || !put->entries.front().ok()) {
      failure = put->entries.empty() ? "no entry result" : put->entries.front().error_code + ": " + put->entries.front().error_message;
    }
    if (!failure.empty()) {
      log::error("delivery stored but not announced on EventBridge; answering 503 so a redelivery retries",
                 {{"delivery", accepted->event.delivery_id}, {"bus", parts_->event_bus}, {"error", failure}});
      res = http::Response::error(503, "stored, but the scaler could not be notified; redeliver");
    }
  }
  return render_proxy_response(res, event->version);
}

}  // namespace ghscale::app::lambda
