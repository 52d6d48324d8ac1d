#include "webhook/delivery.h"

#include <charconv>
#include <limits>

#include "webhook/form.h"
#include "webhook/payload_scan.h"
#include "webhook/timestamp.h"

namespace ghscale::webhook {
namespace {

using Kind = ScannedValue::Kind;

constexpr std::size_t kMaxDeliveryIdBytes = 128;
constexpr std::size_t kMaxEventBytes = 64;

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

// Reads typed fields from the scanned payload, keeping the first error. A missing or
// null field yields the fallback; a field of the wrong type is an error that names its path.
class FieldReader {
 public:
  std::optional<Error> error;

  std::int64_t integer(const ScannedValue& v, std::string_view path, std::string_view key, std::int64_t fallback = 0) {
    switch (v.kind) {
      case Kind::kAbsent:
      case Kind::kNull: return fallback;
      case Kind::kInt64: return v.int64;
      case Kind::kUint64:
        if (v.uint64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          return static_cast<std::int64_t>(v.uint64);
        }
        break;
      default: break;
    }
    fail(path, key, "expected an integer");
    return fallback;
  }

  // Moves the text out: each field is read once.
  std::string string(ScannedValue& v, std::string_view path, std::string_view key) {
    if (v.kind == Kind::kAbsent || v.kind == Kind::kNull) return {};
    if (v.kind == Kind::kString) return std::move(v.text);
    fail(path, key, "expected a string");
    return {};
  }

  std::optional<TimePoint> time(const ScannedValue& v, std::string_view path, std::string_view key) {
    if (v.kind == Kind::kAbsent || v.kind == Kind::kNull) return std::nullopt;
    std::optional<TimePoint> t = v.kind == Kind::kString ? parse_timestamp(v.text) : std::nullopt;
    if (!t) fail(path, key, "expected an ISO-8601 date-time");
    return t;
  }

  // False when absent or null.
  bool object(const ScannedValue& v, std::string_view path, std::string_view key) {
    if (v.kind == Kind::kAbsent || v.kind == Kind::kNull) return false;
    if (v.kind == Kind::kObject) return true;
    fail(path, key, "expected an object");
    return false;
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

Result<JobEvent> parse_workflow_job(ScannedPayload& p, const std::string& action) {
  FieldReader r;
  JobEvent e;
  e.event = "workflow_job";
  e.action = action;

  ScannedPayload::Job& job = p.job;
  const bool has_job = r.object(job.self, "", "workflow_job");
  if (r.error) return std::move(*r.error);
  if (!has_job) return invalid("workflow_job: missing");
  if (job.id.kind == Kind::kAbsent || job.id.kind == Kind::kNull) return invalid("workflow_job.id: missing");
  e.job_id = r.integer(job.id, "workflow_job", "id");
  e.run_id = r.integer(job.run_id, "workflow_job", "run_id");
  e.run_attempt = r.integer(job.run_attempt, "workflow_job", "run_attempt", 1);

  ScannedPayload::Repository& repo = p.repository;
  const bool has_repo = r.object(repo.self, "", "repository");
  if (r.error) return std::move(*r.error);
  if (!has_repo) return invalid("repository: missing");
  e.repository = r.string(repo.full_name, "repository", "full_name");
  if (!r.error && e.repository.empty()) return invalid("repository.full_name: missing");
  if (r.object(repo.owner, "repository", "owner")) e.owner = r.string(repo.owner_login, "repository.owner", "login");
  if (e.owner.empty()) {
    if (r.object(p.organization.self, "", "organization")) {
      e.owner = r.string(p.organization.field, "organization", "login");
    }
  }
  if (e.owner.empty()) e.owner = e.repository.substr(0, e.repository.find('/'));
  if (r.object(p.installation.self, "", "installation")) {
    e.installation_id = r.integer(p.installation.field, "installation", "id");
  }

  if (job.labels.kind != Kind::kAbsent && job.labels.kind != Kind::kNull) {
    if (job.labels.kind != Kind::kObject) return invalid("workflow_job.labels: expected an array");
    if (job.label_not_string) return invalid("workflow_job.labels: expected strings");
    for (const std::string& l : job.label_items) e.labels.add(l);
  }

  // A status GitHub adds later is not an error: the action still says what happened.
  const std::optional<JobStatus> payload_status = parse_job_status(r.string(job.status, "workflow_job", "status"));
  e.status = combine_status(payload_status, *parse_job_status(action));
  e.conclusion = r.string(job.conclusion, "workflow_job", "conclusion");
  e.runner_id = r.integer(job.runner_id, "workflow_job", "runner_id");
  e.runner_name = r.string(job.runner_name, "workflow_job", "runner_name");
  e.runner_group_id = r.integer(job.runner_group_id, "workflow_job", "runner_group_id");
  e.runner_group_name = r.string(job.runner_group_name, "workflow_job", "runner_group_name");
  e.workflow_name = r.string(job.workflow_name, "workflow_job", "workflow_name");
  e.job_name = r.string(job.name, "workflow_job", "name");
  e.created_at = r.time(job.created_at, "workflow_job", "created_at");
  e.started_at = r.time(job.started_at, "workflow_job", "started_at");
  e.completed_at = r.time(job.completed_at, "workflow_job", "completed_at");
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

  Result<ScannedPayload> scanned = scan_payload(text);
  if (!scanned) return std::move(scanned).error();
  ScannedPayload& payload = *scanned;
  if (!payload.root_is_object) return invalid("JSON body is not an object");

  FieldReader r;
  d.action = r.string(payload.action, "", "action");
  if (d.hook_id == 0) d.hook_id = r.integer(payload.hook_id, "", "hook_id");
  if (r.error) return std::move(*r.error);

  if (d.event == "workflow_job") {
    if (d.action.empty()) return invalid("action: missing");
    if (is_job_action(d.action)) {
      auto job = parse_workflow_job(payload, d.action);
      if (!job) return std::move(job).error();
      d.job = std::move(*job);
      d.job->delivery_id = d.delivery_id;
      d.job->received_at = received_at;
    }
  }
  return d;
}

}  // namespace ghscale::webhook
