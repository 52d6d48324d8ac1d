#include "webhook/delivery.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <limits>

#include "webhook/form.h"
#include "webhook/timestamp.h"

namespace ghscale::webhook {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxDeliveryIdBytes = 128;
constexpr std::size_t kMaxEventBytes = 64;
// Covers the DOM of a typical workflow_job payload (about 8 KiB of JSON) so that parsing
// usually allocates nothing from the heap; larger payloads grow the resource as needed.
constexpr std::size_t kParseBufferBytes = 32 * 1024;

Error invalid(std::string message) { return make_error(ErrorKind::kInvalid, std::move(message)); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Header values end up in the store and in logs: keep them printable and short.
bool printable_token(std::string_view s, std::size_t max_bytes) {
  if (s.empty() || s.size() > max_bytes) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// Reads typed fields from a JSON object, keeping the first error. A missing or null
// field yields the fallback; a field of the wrong type is an error that names its path.
class FieldReader {
 public:
  std::optional<Error> error;

  std::int64_t integer(const json::object& o, std::string_view path, std::string_view key, std::int64_t fallback = 0) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(v->get_uint64());
    }
    fail(path, key, "expected an integer");
    return fallback;
  }

  std::string string(const json::object& o, std::string_view path, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return {};
    if (const json::string* s = v->if_string()) return std::string(s->data(), s->size());
    fail(path, key, "expected a string");
    return {};
  }

  std::optional<TimePoint> time(const json::object& o, std::string_view path, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    const json::string* s = v->if_string();
    std::optional<TimePoint> t = s != nullptr ? parse_timestamp(std::string_view(s->data(), s->size())) : std::nullopt;
    if (!t) fail(path, key, "expected an ISO-8601 date-time");
    return t;
  }

  // nullptr when absent or null.
  const json::object* object(const json::object& o, std::string_view path, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (const json::object* obj = v->if_object()) return obj;
    fail(path, key, "expected an object");
    return nullptr;
  }

  void fail(std::string_view path, std::string_view key, std::string_view what) {
    if (error) return;
    std::string where(path);
    if (!where.empty()) where += '.';
    where += key;
    error = invalid(where + ": " + std::string(what));
  }
};

// GitHub's status and the action usually agree. Where they do not, the payload's status is
// the job's state and wins, with one exception: an in_progress or completed action has
// happened, so it moves the status forward (never back). Hence action "queued" with status
// "waiting" (a job held by an environment rule) stays waiting: launching a runner for it
// would only idle until approval.
JobStatus combine_status(std::optional<JobStatus> from_payload, JobStatus from_action) {
  if (!from_payload) return from_action;
  if (from_action >= JobStatus::kInProgress && from_action > *from_payload) return from_action;
  return *from_payload;
}

Result<JobEvent> parse_workflow_job(const json::object& root, const std::string& action) {
  FieldReader r;
  JobEvent e;
  e.event = "workflow_job";
  e.action = action;

  const json::object* job = r.object(root, "", "workflow_job");
  if (r.error) return std::move(*r.error);
  if (job == nullptr) return invalid("workflow_job: missing");
  const json::value* id = job->if_contains("id");
  if (id == nullptr || id->is_null()) return invalid("workflow_job.id: missing");
  e.job_id = r.integer(*job, "workflow_job", "id");
  e.run_id = r.integer(*job, "workflow_job", "run_id");
  e.run_attempt = r.integer(*job, "workflow_job", "run_attempt", 1);

  const json::object* repo = r.object(root, "", "repository");
  if (r.error) return std::move(*r.error);
  if (repo == nullptr) return invalid("repository: missing");
  e.repository = r.string(*repo, "repository", "full_name");
  if (!r.error && e.repository.empty()) return invalid("repository.full_name: missing");
  if (const json::object* owner = r.object(*repo, "repository", "owner"))
    e.owner = r.string(*owner, "repository.owner", "login");
  if (e.owner.empty()) {
    if (const json::object* org = r.object(root, "", "organization")) e.owner = r.string(*org, "organization", "login");
  }
  if (e.owner.empty()) e.owner = e.repository.substr(0, e.repository.find('/'));
  if (const json::object* inst = r.object(root, "", "installation"))
    e.installation_id = r.integer(*inst, "installation", "id");

  if (const json::value* labels = job->if_contains("labels"); labels != nullptr && !labels->is_null()) {
    const json::array* arr = labels->if_array();
    if (arr == nullptr) return invalid("workflow_job.labels: expected an array");
    for (const json::value& l : *arr) {
      const json::string* s = l.if_string();
      if (s == nullptr) return invalid("workflow_job.labels: expected strings");
      e.labels.add(std::string_view(s->data(), s->size()));
    }
  }

  // A status GitHub adds later is not an error: the action still says what happened.
  const std::optional<JobStatus> payload_status = parse_job_status(r.string(*job, "workflow_job", "status"));
  e.status = combine_status(payload_status, *parse_job_status(action));
  e.conclusion = r.string(*job, "workflow_job", "conclusion");
  e.runner_id = r.integer(*job, "workflow_job", "runner_id");
  e.runner_name = r.string(*job, "workflow_job", "runner_name");
  e.runner_group_id = r.integer(*job, "workflow_job", "runner_group_id");
  e.runner_group_name = r.string(*job, "workflow_job", "runner_group_name");
  e.workflow_name = r.string(*job, "workflow_job", "workflow_name");
  e.job_name = r.string(*job, "workflow_job", "name");
  e.created_at = r.time(*job, "workflow_job", "created_at");
  e.started_at = r.time(*job, "workflow_job", "started_at");
  e.completed_at = r.time(*job, "workflow_job", "completed_at");
  if (r.error) return std::move(*r.error);
  if (e.job_id <= 0) return invalid("workflow_job.id: must be positive");
  return e;
}

}  // namespace

std::optional<BodyFormat> parse_content_type(std::string_view content_type) {
  const std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  if (http::iequals(media, kJsonContentType)) return BodyFormat::kJson;
  if (http::iequals(media, kFormContentType)) return BodyFormat::kForm;
  return std::nullopt;
}

bool is_job_action(std::string_view action) {
  return action == "queued" || action == "waiting" || action == "in_progress" || action == "completed";
}

Result<Delivery> parse_delivery(const http::Headers& headers, BodyFormat format, std::string_view body,
                                TimePoint received_at) {
  Delivery d;
  d.event = std::string(headers.get(kEventHeader));
  if (d.event.empty()) return invalid("missing X-GitHub-Event header");
  if (!printable_token(d.event, kMaxEventBytes)) return invalid("malformed X-GitHub-Event header");
  d.delivery_id = std::string(headers.get(kDeliveryHeader));
  if (d.delivery_id.empty()) return invalid("missing X-GitHub-Delivery header");
  if (!printable_token(d.delivery_id, kMaxDeliveryIdBytes)) return invalid("malformed X-GitHub-Delivery header");
  if (const std::string* hook = headers.find(kHookIdHeader)) {
    std::optional<std::int64_t> id = parse_int(trim(*hook));
    if (!id) return invalid("malformed X-GitHub-Hook-ID header");
    d.hook_id = *id;
  }

  std::string form_json;
  std::string_view text = body;
  if (format == BodyFormat::kForm) {
    auto payload = form_payload(body);
    if (!payload) return std::move(payload).error();
    form_json = std::move(*payload);
    text = form_json;
  }

  unsigned char buffer[kParseBufferBytes];
  json::monotonic_resource resource(buffer, sizeof buffer);
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(text.data(), text.size()), ec, &resource);
  if (ec) return invalid("malformed JSON body: " + ec.message());
  const json::object* obj = root.if_object();
  if (obj == nullptr) return invalid("JSON body is not an object");

  FieldReader r;
  d.action = r.string(*obj, "", "action");
  if (d.hook_id == 0) d.hook_id = r.integer(*obj, "", "hook_id");
  if (r.error) return std::move(*r.error);

  if (d.event == "workflow_job") {
    if (d.action.empty()) return invalid("action: missing");
    if (is_job_action(d.action)) {
      auto job = parse_workflow_job(*obj, d.action);
      if (!job) return std::move(job).error();
      d.job = std::move(*job);
      d.job->delivery_id = d.delivery_id;
      d.job->received_at = received_at;
    }
  }
  return d;
}

}  // namespace ghscale::webhook
