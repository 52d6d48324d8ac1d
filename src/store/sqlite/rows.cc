#include "store/sqlite/rows.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/log.h"

namespace ghscale::store::sqlite {
namespace {

// A label that no pool can have ('<' is not in GitHub's label alphabet): a row whose labels
// cannot be read then matches no pool, rather than every pool as an empty set would.
constexpr std::string_view kUnreadableLabels = "<unreadable labels>";

}  // namespace

std::string labels_to_json(const LabelSet& labels) {
  std::string out = "[";
  for (const auto& label : labels.items()) {
    if (out.size() > 1) out += ',';
    log::append_json_string(out, label);
  }
  out += ']';
  return out;
}

LabelSet labels_from_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return LabelSet{kUnreadableLabels};
  LabelSet set;
  for (const auto& item : v.get_array()) {
    if (!item.is_string()) return LabelSet{kUnreadableLabels};
    set.add(std::string_view(item.get_string()));
  }
  return set;
}

const char* const kJobColumns =
    "job_id, status, labels, delivery_id, event, action, run_id, run_attempt, repository, owner, "
    "installation_id, conclusion, runner_id, runner_name, runner_group_id, runner_group_name, "
    "workflow_name, job_name, created_at, started_at, completed_at, received_at";

Job read_job(const Stmt& s) {
  Job job;
  job.job_id = s.int64(0);
  job.status = static_cast<JobStatus>(s.int64(1));
  job.labels = labels_from_json(s.text(2));
  job.delivery_id = s.text(3);
  job.event = s.text(4);
  job.action = s.text(5);
  job.run_id = s.int64(6);
  job.run_attempt = s.int64(7);
  job.repository = s.text(8);
  job.owner = s.text(9);
  job.installation_id = s.int64(10);
  job.conclusion = s.text(11);
  job.runner_id = s.int64(12);
  job.runner_name = s.text(13);
  job.runner_group_id = s.int64(14);
  job.runner_group_name = s.text(15);
  job.workflow_name = s.text(16);
  job.job_name = s.text(17);
  job.created_at = s.optional_time(18);
  job.started_at = s.optional_time(19);
  job.completed_at = s.optional_time(20);
  job.received_at = s.time(21);
  return job;
}

LabelSet parse_labels_column(const Stmt& s) { return labels_from_json(s.text(2)); }

void bind_job(Stmt& s, const Job& job) {
  s.bind(1, job.job_id)
      .bind(2, static_cast<std::int64_t>(job.status))
      .bind(3, labels_to_json(job.labels))
      .bind(4, job.delivery_id)
      .bind(5, job.event)
      .bind(6, job.action)
      .bind(7, job.run_id)
      .bind(8, job.run_attempt)
      .bind(9, job.repository)
      .bind(10, job.owner)
      .bind(11, job.installation_id)
      .bind(12, job.conclusion)
      .bind(13, job.runner_id)
      .bind(14, job.runner_name)
      .bind(15, job.runner_group_id)
      .bind(16, job.runner_group_name)
      .bind(17, job.workflow_name)
      .bind(18, job.job_name)
      .bind(19, job.created_at)
      .bind(20, job.started_at)
      .bind(21, job.completed_at)
      .bind(22, job.received_at);
}

const char* const kFromActiveJobs = "FROM jobs INDEXED BY jobs_active WHERE status < 3";

std::string queued_jobs_sql() {
  return std::string("SELECT ") + kJobColumns + " " + kFromActiveJobs + " AND status = 1 ORDER BY job_id LIMIT ?1";
}

const char* const kInstanceColumns =
    "instance_id, pool, market, instance_type, state, runner_id, runner_name, launched_at, registered_at, "
    "last_busy_at, current_job_id";

Instance read_instance(const Stmt& s) {
  Instance i;
  i.instance_id = s.text(0);
  i.pool = s.text(1);
  i.market = parse_market(s.text(2)).value_or(Market::kSpot);
  i.instance_type = s.text(3);
  i.state = parse_instance_state(s.text(4)).value_or(InstanceState::kRequested);
  i.runner_id = s.int64(5);
  i.runner_name = s.text(6);
  i.launched_at = s.time(7);
  i.registered_at = s.optional_time(8);
  i.last_busy_at = s.optional_time(9);
  i.current_job_id = s.int64(10);
  return i;
}

void bind_instance(Stmt& s, const Instance& i) {
  s.bind(1, i.instance_id)
      .bind(2, i.pool)
      .bind(3, to_string(i.market))
      .bind(4, i.instance_type)
      .bind(5, to_string(i.state))
      .bind(6, i.runner_id)
      .bind(7, i.runner_name)
      .bind(8, i.launched_at)
      .bind(9, i.registered_at)
      .bind(10, i.last_busy_at)
      .bind(11, i.current_job_id);
}

const char* const kActionColumns = "id, at, pool, kind, count, reason, result";

Action read_action(const Stmt& s) {
  Action a;
  a.id = s.int64(0);
  a.at = s.time(1);
  a.pool = s.text(2);
  a.kind = parse_action_kind(s.text(3)).value_or(ActionKind::kScaleOut);
  a.count = s.int64(4);
  a.reason = s.text(5);
  a.result = s.text(6);
  return a;
}

const char* const kLeaseColumns = "name, holder, expires_at, token";

Lease read_lease(const Stmt& s) { return Lease{s.text(0), s.text(1), s.time(2), s.int64(3)}; }

}  // namespace ghscale::store::sqlite
