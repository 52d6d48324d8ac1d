#include "store/dynamodb/dynamodb_store.h"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "store/dynamodb/ingest_queue.h"
#include "store/dynamodb/items.h"
#include "store/dynamodb/table.h"
#include "store/job_merge.h"
#include "store/lease_rules.h"

namespace ghscale::store {
namespace {

namespace json = boost::json;
using aws::Expression;
using ddb::attr_n;
using ddb::attr_s;
using ddb::Item;

// Optimistic writes retry when another writer got there first; past this many rounds the
// item is too contended to go on, and the caller gets kConflict (retryable by a redelivery).
constexpr int kMaxWriteRounds = 64;

// Deliveries recorded asynchronously: writer threads, each one DynamoDB request at a time
// (a delivery is 3 to 5 requests of a few milliseconds each in a region, so 64 writers keep
// up with thousands a second), and how many deliveries may wait for them before new ones
// are refused.
constexpr std::size_t kIngestShards = 64;
constexpr std::size_t kMaxIngestPending = 4096;

constexpr JobStatus kAllStatuses[] = {JobStatus::kWaiting, JobStatus::kQueued, JobStatus::kInProgress,
                                      JobStatus::kCompleted};

bool is_conflict(const Status& s) { return !s.ok() && s.error().kind == ErrorKind::kConflict; }

// One partition read in key order, page by page, until the visitor says stop.
struct PartitionQuery {
  std::string pk;
  bool forward = true;
  int page = 0;  // items per page; 0 = the service's default
  std::string filter;
  json::object names;
  json::object values;
  std::string projection;
};

class DynamoDbStore final : public Store {
 public:
  DynamoDbStore(std::shared_ptr<aws::DynamoDbClient> client, std::string table, std::shared_ptr<Clock> clock)
      : client_(std::move(client)), table_(std::move(table)), clock_(std::move(clock)) {}
  ~DynamoDbStore() override { (void)close(); }

  // --- job events -------------------------------------------------------------------
  Result<RecordOutcome> record(const JobEvent& event) override { return record_job_events({&event}).front(); }

  // Queued for the sharded writers (ingest_queue.h): the calling thread does not wait.
  void record_async(const JobEvent& event, RecordDone done) override {
    // What record() refuses without a request is refused at once here too.
    if (auto s = check_open(); !s) return done(s.error());
    if (event.delivery_id.empty() || event.job_id == 0) return done(record_job_events({&event}).front());
    ingest_.submit(event, std::move(done));
  }
  bool records_asynchronously() const override { return true; }

  Result<std::vector<Job>> queued_jobs(const std::optional<LabelSet>& pool_labels, std::size_t limit) override {
    if (auto s = check_open(); !s) return s.error();
    std::vector<Job> out;
    if (limit == 0) return out;
    PartitionQuery q;
    q.pk = ddb::bucket_pk(JobStatus::kQueued);
    q.page = static_cast<int>(std::min<std::size_t>(std::max<std::size_t>(limit * 2, 25), 1000));
    Status visited = visit(q, [&](const Item& entry) -> Result<bool> {
      if (pool_labels && !LabelSet(labels_of(entry)).subset_of(*pool_labels)) return true;
      auto job = verified(entry, JobStatus::kQueued);
      if (!job) return job.error();
      if (*job) out.push_back(std::move(**job));
      return out.size() < limit;
    });
    if (!visited) return visited.error();
    return out;
  }

  Result<Job> get_job(std::int64_t job_id) override {
    if (auto s = check_open(); !s) return s.error();
    auto stored = read_job(job_id);
    if (!stored) return stored.error();
    if (!*stored) return make_error(ErrorKind::kNotFound, "job " + std::to_string(job_id) + " is not in the store");
    return std::move((*stored)->job);
  }

  Result<JobCounts> job_counts() override {
    if (auto s = check_open(); !s) return s.error();
    JobCounts counts;
    for (JobStatus status : kAllStatuses) {
      auto n = count(ddb::bucket_pk(status));
      if (!n) return n.error();
      switch (status) {
        case JobStatus::kWaiting: counts.waiting = *n; break;
        case JobStatus::kQueued: counts.queued = *n; break;
        case JobStatus::kInProgress: counts.in_progress = *n; break;
        case JobStatus::kCompleted: counts.completed = *n; break;
      }
    }
    return counts;
  }

  Result<std::vector<Job>> list_jobs(const JobFilter& filter) override {
    if (auto s = check_open(); !s) return s.error();
    std::vector<Job> out;
    if (filter.limit == 0) return out;
    // Newest ids of each bucket asked for, merged newest first, then checked one by one
    // against the job items (a stale bucket entry is skipped).
    std::map<std::int64_t, JobStatus, std::greater<>> candidates;
    for (JobStatus status : kAllStatuses) {
      if (filter.status && *filter.status != status) continue;
      PartitionQuery q;
      q.pk = ddb::bucket_pk(status);
      q.forward = false;
      q.page = static_cast<int>(std::min<std::size_t>(filter.limit + 5, 1000));
      std::size_t seen = 0;
      Status visited = visit(q, [&](const Item& entry) -> Result<bool> {
        candidates.emplace(ddb::get_n(entry, "job_id").value_or(0), status);
        return ++seen < filter.limit + 5;
      });
      if (!visited) return visited.error();
    }
    for (const auto& [id, status] : candidates) {
      if (out.size() >= filter.limit) break;
      auto job = verified(ddb::encode_bucket_entry(stub(id, status)), status);
      if (!job) return job.error();
      if (*job) out.push_back(std::move(**job));
    }
    return out;
  }

  // --- instances ----------------------------------------------------------------------
  Status upsert_instance(const Instance& instance) override {
    if (auto s = check_open(); !s) return s;
    if (instance.instance_id.empty()) return make_error(ErrorKind::kInvalid, "instance has no instance_id");
    return client_->put_item(table_, ddb::encode_instance(instance));
  }

  Result<Instance> get_instance(std::string_view instance_id) override {
    if (auto s = check_open(); !s) return s.error();
    auto item = client_->get_item(table_, ddb::instance_key(instance_id));
    if (!item) return item.error();
    if (!*item) {
      return make_error(ErrorKind::kNotFound, "instance " + std::string(instance_id) + " is not in the store");
    }
    return ddb::decode_instance(**item);
  }

  Result<std::vector<Instance>> list_instances(std::string_view pool, bool include_terminated) override {
    if (auto s = check_open(); !s) return s.error();
    std::vector<Instance> out;
    PartitionQuery q;
    q.pk = std::string(ddb::kInstancesPk);
    Status visited = visit(q, [&](const Item& item) -> Result<bool> {
      auto instance = ddb::decode_instance(item);
      if (!instance) return instance.error();
      if (!pool.empty() && instance->pool != pool) return true;
      if (!include_terminated && instance->state == InstanceState::kTerminated) return true;
      out.push_back(std::move(*instance));
      return true;
    });
    if (!visited) return visited.error();
    return out;
  }

  Status update_instance_state(std::string_view instance_id, InstanceState state) override {
    if (auto s = check_open(); !s) return s;
    auto updated = client_->update_item(table_, ddb::instance_key(instance_id),
                                        Expression{"SET #s = :s", {{"#s", "state"}}, {{":s", attr_s(to_string(state))}}},
                                        "attribute_exists(PK)");
    if (updated.ok()) return ok_status();
    if (updated.error().kind == ErrorKind::kConflict) {
      return make_error(ErrorKind::kNotFound, "instance " + std::string(instance_id) + " is not in the store");
    }
    return updated.error();
  }

  // --- action log ---------------------------------------------------------------------
  Result<std::int64_t> append_action(const Action& action) override {
    if (auto s = check_open(); !s) return s.error();
    auto counter = client_->update_item(
        table_, ddb::action_counter_key(),
        Expression{"SET #n = if_not_exists(#n, :zero) + :one", {{"#n", "n"}}, {{":zero", attr_n(0)}, {":one", attr_n(1)}}});
    if (!counter) return counter.error();
    Action stored = action;
    stored.id = ddb::get_n(*counter, "n").value_or(0);
    if (stored.id <= 0) return make_error(ErrorKind::kPermanent, "the action counter item holds no number");
    if (auto s = client_->put_item(table_, ddb::encode_action(stored, ddb::action_key(stored.id))); !s) return s.error();

    // The newest action of its kind and pool, for cooldown: only ever moves to a newer id.
    const Expression newer{"attribute_not_exists(PK) OR #id < :id", {{"#id", "id"}}, {{":id", attr_n(stored.id)}}};
    Status last = client_->put_item(table_, ddb::encode_action(stored, ddb::last_action_key(stored.pool, stored.kind)),
                                    &newer);
    if (!last.ok() && !is_conflict(last)) return last.error();
    if (stored.kind == ActionKind::kScaleOut || stored.kind == ActionKind::kScaleIn) {
      if (auto s = record_activity(stored); !s) return s.error();
    }
    return stored.id;
  }

  Result<std::vector<Action>> last_actions(std::size_t n) override {
    if (auto s = check_open(); !s) return s.error();
    std::vector<Action> out;
    if (n == 0) return out;
    PartitionQuery q;
    q.pk = std::string(ddb::kActionsPk);
    q.forward = false;
    q.page = static_cast<int>(std::min<std::size_t>(n, 1000));
    Status visited = visit(q, [&](const Item& item) -> Result<bool> {
      auto action = ddb::decode_action(item);
      if (!action) return action.error();
      out.push_back(std::move(*action));
      return out.size() < n;
    });
    if (!visited) return visited.error();
    return out;
  }

  Result<std::optional<Action>> last_action(std::string_view pool, ActionKind kind) override {
    if (auto s = check_open(); !s) return s.error();
    auto item = client_->get_item(table_, ddb::last_action_key(pool, kind));
    if (!item) return item.error();
    if (!*item) return std::optional<Action>();
    auto action = ddb::decode_action(**item);
    if (!action) return action.error();
    return std::optional<Action>(std::move(*action));
  }

  // --- settings -----------------------------------------------------------------------
  Result<std::optional<std::string>> get_setting(std::string_view name) override {
    if (auto s = check_open(); !s) return s.error();
    auto found = find_setting_item(name);
    if (!found) return found.error();
    if (!*found) return std::optional<std::string>();
    const json::value* value = (*found)->if_contains(ddb::kValueAttr);
    if (value == nullptr || !value->is_object()) return std::optional<std::string>();
    for (const char* type : {"S", "N"}) {
      const json::value* v = value->as_object().if_contains(type);
      if (v != nullptr && v->is_string()) return std::optional<std::string>(std::string(v->as_string()));
    }
    return std::optional<std::string>();
  }

  Status set_setting(std::string_view name, std::string_view value) override {
    if (auto s = check_open(); !s) return s;
    if (name.empty()) return make_error(ErrorKind::kInvalid, "setting name is empty");
    auto found = find_setting_item(name);
    if (!found) return found.error();
    Item key = ddb::setting_key(name);
    // The original's number string by default; an item that already holds a number (N)
    // keeps that type, so what the original or a template wrote keeps its shape.
    json::object typed = attr_s(value);
    if (*found) {
      key = ddb::key(ddb::get_s(**found, "PK"), ddb::get_s(**found, "SK"));
      const json::value* old = (*found)->if_contains(ddb::kValueAttr);
      const bool was_number = old != nullptr && old->is_object() && old->as_object().contains("N");
      if (was_number && is_integer(value)) typed = json::object{{"N", value}};
    } else if (name == ddb::kCooldownPk) {
      key = ddb::key(ddb::kCooldownPk, ddb::kCooldownDefaultSk);
    }
    auto updated = client_->update_item(table_, key, Expression{"SET #val = :val", {{"#val", ddb::kValueAttr}}, {{":val", typed}}});
    return updated.ok() ? ok_status() : Status(updated.error());
  }

  // --- leases -------------------------------------------------------------------------
  Result<std::optional<Lease>> get_lease(std::string_view name) override {
    if (auto s = check_open(); !s) return s.error();
    auto item = client_->get_item(table_, ddb::lease_key(name));
    if (!item) return item.error();
    if (!*item) return std::optional<Lease>();
    return std::optional<Lease>(ddb::decode_lease(**item).lease);
  }

  Result<Lease> acquire_lease(std::string_view name, std::string_view holder, Duration ttl, TimePoint now) override {
    return change_lease(name, holder, now, /*create=*/true, [&](const std::optional<Lease>& current) {
      return lease_after_acquire(current, name, holder, ttl, now);
    });
  }

  Result<Lease> renew_lease(std::string_view name, std::string_view holder, Duration ttl, TimePoint now) override {
    return change_lease(name, holder, now, /*create=*/true, [&](const std::optional<Lease>& current) {
      return lease_after_renew(current, name, holder, ttl, now);
    });
  }

  Status release_lease(std::string_view name, std::string_view holder, TimePoint now) override {
    // A lease nobody ever took stays absent: releasing it writes nothing.
    auto released = change_lease(name, holder, now, /*create=*/false, [&](const std::optional<Lease>& current) -> Result<Lease> {
      if (auto s = check_release(current, name, holder, now); !s) return s.error();
      // Keep the item (so the fencing token keeps growing), but free it for every clock.
      Lease next = current ? *current : Lease{std::string(name), {}, TimePoint{}, 0};
      next.expires_at = TimePoint{};
      return next;
    });
    return released.ok() ? ok_status() : Status(released.error());
  }

  // --- retention ----------------------------------------------------------------------
  Result<PruneResult> prune(const RetentionPolicy& policy) override {
    if (auto s = check_open(); !s) return s.error();
    const TimePoint now = clock_->now();
    const std::int64_t job_cutoff = to_unix_ms(now - policy.completed_jobs_older_than);
    const std::int64_t action_cutoff = to_unix_ms(now - policy.actions_older_than);
    PruneResult result;

    PartitionQuery done;
    done.pk = ddb::bucket_pk(JobStatus::kCompleted);
    done.filter = "#r < :cut";
    done.names = {{"#r", "received_at"}};
    done.values = {{":cut", attr_n(job_cutoff)}};
    std::vector<std::int64_t> old_jobs;
    Status visited = visit(done, [&](const Item& entry) -> Result<bool> {
      old_jobs.push_back(ddb::get_n(entry, "job_id").value_or(0));
      return true;
    });
    if (!visited) return visited.error();
    for (std::int64_t id : old_jobs) {
      auto stored = read_job(id);
      if (!stored) return stored.error();
      if (*stored) {
        const ddb::StoredJob& s = **stored;
        if (s.job.status != JobStatus::kCompleted || to_unix_ms(s.job.received_at) >= job_cutoff) continue;
        // Markers first, then the job: a crash in between leaves the job (and its list of
        // deliveries), so the next prune finishes the work.
        for (const auto& d : s.deliveries) {
          if (auto st = client_->delete_item(table_, ddb::delivery_key(d)); !st) return st.error();
          ++result.deliveries;
        }
        const Expression unchanged{"#v = :v", {{"#v", "version"}}, {{":v", attr_n(s.version)}}};
        Status gone = client_->delete_item(table_, ddb::job_key(id), &unchanged);
        if (is_conflict(gone)) continue;  // changed meanwhile: keep it for the next prune
        if (!gone.ok()) return gone.error();
        ++result.jobs;
      }
      if (auto st = client_->delete_item(table_, ddb::bucket_key(JobStatus::kCompleted, id)); !st) return st.error();
    }

    for (std::string_view pk : {ddb::kActionsPk, ddb::kLastActionPk}) {
      PartitionQuery q;
      q.pk = std::string(pk);
      q.filter = "#at < :cut";
      q.names = {{"#at", "at"}};
      q.values = {{":cut", attr_n(action_cutoff)}};
      std::vector<Item> old_items;
      Status seen = visit(q, [&](const Item& item) -> Result<bool> {
        old_items.push_back(item);
        return true;
      });
      if (!seen) return seen.error();
      for (const Item& item : old_items) {
        const Item key = ddb::key(ddb::get_s(item, "PK"), ddb::get_s(item, "SK"));
        // A pointer goes only if it still points at the pruned action.
        const Expression same{"#id = :id", {{"#id", "id"}}, {{":id", attr_n(ddb::get_n(item, "id").value_or(0))}}};
        Status st = client_->delete_item(table_, key, &same);
        if (is_conflict(st)) continue;
        if (!st.ok()) return st.error();
        if (pk == ddb::kActionsPk) ++result.actions;
      }
    }
    return result;
  }

  // --- lifecycle ----------------------------------------------------------------------
  Status ping() override {
    if (auto s = check_open(); !s) return s;
    auto probe = client_->get_item(table_, ddb::key("ping", "ping"), false);
    if (probe.ok()) return ok_status();
    Error e = probe.error();
    e.message = "DynamoDB table '" + table_ + "': " + e.message;
    return e;
  }
  // Every acknowledged write is already durable in DynamoDB.
  Status flush() override { return ping(); }
  Status close() override {
    ingest_.stop();  // what was accepted is written first
    closed_ = true;
    return ok_status();
  }

 private:
  Status check_open() const {
    if (closed_) return make_error(ErrorKind::kPermanent, "the DynamoDB store for table '" + table_ + "' is closed");
    return ok_status();
  }

  // Events of one job (one, or what a writer took together), each first marked by its
  // delivery id, then merged into the job item with one read and one conditional write.
  // One result per event, in order.
  std::vector<Result<RecordOutcome>> record_job_events(const std::vector<const JobEvent*>& events) {
    std::vector<Result<RecordOutcome>> out(events.size(), Result<RecordOutcome>(RecordOutcome::kRecorded));
    // 1. The delivery marker says which job a delivery id belongs to. When it exists
    //    already, the job item's `deliveries` decides whether the event was applied (a
    //    crash may have come between the marker and the job write).
    std::vector<std::size_t> pending;
    std::set<std::string_view> ids;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const JobEvent& event = *events[i];
      if (auto s = check_open(); !s) {
        out[i] = s.error();
        continue;
      }
      if (event.delivery_id.empty()) {
        out[i] = make_error(ErrorKind::kInvalid, "job event has no delivery id");
        continue;
      }
      if (event.job_id == 0) {
        out[i] = make_error(ErrorKind::kInvalid, "job event " + event.delivery_id + " has no job id");
        continue;
      }
      if (!pending.empty() && event.job_id != events[pending.front()]->job_id) {
        out[i] = make_error(ErrorKind::kInvalid, "events of several jobs written as one");
        continue;
      }
      if (!ids.insert(event.delivery_id).second) {  // the same delivery twice in one take
        out[i] = RecordOutcome::kDuplicate;
        continue;
      }
      Item marker = ddb::delivery_key(event.delivery_id);
      marker["job_id"] = attr_n(event.job_id);
      const Expression absent{"attribute_not_exists(PK)", {}, {}};
      Status put = client_->put_item(table_, marker, &absent);
      if (is_conflict(put)) {
        auto seen = client_->get_item(table_, ddb::delivery_key(event.delivery_id));
        if (!seen) {
          out[i] = seen.error();
          continue;
        }
        if (*seen && ddb::get_n(**seen, "job_id").value_or(0) != event.job_id) {
          out[i] = RecordOutcome::kDuplicate;
          continue;
        }
      } else if (!put.ok()) {
        out[i] = put.error();
        continue;
      }
      pending.push_back(i);
    }
    if (pending.empty()) return out;

    // 2. Merge into the job item: compare-and-set on its version, forward-only by rank.
    const std::int64_t job_id = events[pending.front()]->job_id;
    for (int round = 0; round < kMaxWriteRounds; ++round) {
      auto current = read_job(job_id);
      if (!current) {
        for (std::size_t i : pending) out[i] = current.error();
        return out;
      }
      const ddb::StoredJob* cur = current->has_value() ? &**current : nullptr;
      std::vector<std::size_t> fresh;
      for (std::size_t i : pending) {
        const std::string& id = events[i]->delivery_id;
        const bool applied = cur != nullptr && std::find(cur->deliveries.begin(), cur->deliveries.end(), id) != cur->deliveries.end();
        out[i] = RecordOutcome::kDuplicate;
        if (!applied) fresh.push_back(i);
      }
      if (fresh.empty()) {
        // Applied before. Put the job in its bucket again: a crash may have cut the
        // bucket upkeep short, and the redelivery is the moment to repair it.
        if (auto s = place_in_bucket(cur->job, std::nullopt, true); !s) {
          for (std::size_t i : pending) out[i] = s.error();
        }
        return out;
      }
      ddb::StoredJob next;
      next.version = cur != nullptr ? cur->version + 1 : 1;
      next.deliveries = cur != nullptr ? cur->deliveries : std::vector<std::string>{};
      std::optional<Job> merged;
      if (cur != nullptr) merged = cur->job;
      for (std::size_t i : fresh) {
        merged = merge_job(merged ? &*merged : nullptr, *events[i]);
        next.deliveries.push_back(events[i]->delivery_id);
      }
      next.job = std::move(*merged);
      Expression cond{"attribute_not_exists(PK)", {}, {}};
      if (cur != nullptr) {
        cond = Expression{"#v = :v AND #rank <= :rank",
                          {{"#v", "version"}, {"#rank", "status_rank"}},
                          {{":v", attr_n(cur->version)}, {":rank", attr_n(static_cast<std::int64_t>(next.job.status))}}};
      }
      Status written = client_->put_item(table_, ddb::encode_job(next), &cond);
      if (is_conflict(written)) continue;
      if (!written.ok()) {
        for (std::size_t i : fresh) out[i] = written.error();
        return out;
      }
      for (std::size_t i : fresh) out[i] = RecordOutcome::kRecorded;
      // 3. Listing upkeep. An error here is returned: the events are stored, and GitHub's
      //    redelivery takes the repair path above.
      std::optional<JobStatus> before;
      if (cur != nullptr) before = cur->job.status;
      if (auto s = place_in_bucket(next.job, before, false); !s) {
        for (std::size_t i : fresh) out[i] = s.error();
      }
      return out;
    }
    for (std::size_t i : pending) {
      out[i] = make_error(ErrorKind::kConflict, "job " + std::to_string(job_id) +
                                                    " is being changed by too many writers at once; retry the delivery");
    }
    return out;
  }

  static bool is_integer(std::string_view s) {
    if (s.empty()) return false;
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  }

  static std::vector<std::string> labels_of(const Item& entry) {
    return ddb::decode_job(entry).job.labels.items();
  }

  static Job stub(std::int64_t id, JobStatus status) {
    Job j;
    j.job_id = id;
    j.status = status;
    return j;
  }

  Result<std::optional<ddb::StoredJob>> read_job(std::int64_t job_id) {
    auto item = client_->get_item(table_, ddb::job_key(job_id));
    if (!item) return item.error();
    if (!*item) return std::optional<ddb::StoredJob>();
    return std::optional<ddb::StoredJob>(ddb::decode_job(**item));
  }

  // The job a bucket entry points at, when the job item agrees it is in that bucket.
  // A stale entry (left by a crash or a lost race) is deleted on the way: a job never
  // returns to an earlier status, so an entry behind its job is never needed again.
  Result<std::optional<Job>> verified(const Item& entry, JobStatus bucket) {
    const std::int64_t id = ddb::get_n(entry, "job_id").value_or(0);
    auto stored = read_job(id);
    if (!stored) return stored.error();
    if (*stored && (*stored)->job.status == bucket) return std::optional<Job>(std::move((*stored)->job));
    if (!*stored || (*stored)->job.status > bucket) {
      if (auto s = client_->delete_item(table_, ddb::bucket_key(bucket, id)); !s) return s.error();
    }
    return std::optional<Job>();
  }

  // Puts `job` in the bucket of its status and takes it out of the earlier one(s). Then
  // reads the job back: when a faster writer moved it on meanwhile (and may have deleted
  // our bucket before we wrote it), our entry is stale and goes.
  Status place_in_bucket(const Job& job, std::optional<JobStatus> before, bool repair) {
    if (auto s = client_->put_item(table_, ddb::encode_bucket_entry(job)); !s) return s;
    for (JobStatus status : kAllStatuses) {
      if (status >= job.status) break;
      if (!repair && before != status) continue;
      if (auto s = client_->delete_item(table_, ddb::bucket_key(status, job.job_id)); !s) return s;
    }
    auto now = read_job(job.job_id);
    if (!now) return now.error();
    if (*now && (*now)->job.status != job.status) {
      return client_->delete_item(table_, ddb::bucket_key(job.status, job.job_id));
    }
    return ok_status();
  }

  // The original's activity_scaling item (SK scale_out | scale_in): `timestamp` of the last
  // such action, in unix milliseconds; it only moves forward.
  Status record_activity(const Action& action) {
    Item item = ddb::key(ddb::kActivityPk, to_string(action.kind));
    const std::int64_t ts = to_unix_ms(action.at);
    item[ddb::kTimestampAttr] = attr_n(ts);
    item["pool"] = attr_s(action.pool);
    item["count"] = attr_n(action.count);
    item["action_id"] = attr_n(action.id);
    const Expression later{"attribute_not_exists(PK) OR #ts <= :ts", {{"#ts", ddb::kTimestampAttr}}, {{":ts", attr_n(ts)}}};
    Status put = client_->put_item(table_, item, &later);
    if (!is_conflict(put)) return put;
    // Newer, or written in another type (a string) the condition cannot compare.
    auto existing = client_->get_item(table_, ddb::key(ddb::kActivityPk, to_string(action.kind)));
    if (!existing) return existing.error();
    if (*existing && ddb::get_n(**existing, ddb::kTimestampAttr).value_or(-1) > ts) return ok_status();
    return client_->put_item(table_, item);
  }

  // settings_cooldown lives where the original keeps it (PK settings_cooldown, any SK,
  // attribute value); every other setting under setting#<name>.
  Result<std::optional<Item>> find_setting_item(std::string_view name) {
    if (name != ddb::kCooldownPk) return client_->get_item(table_, ddb::setting_key(name));
    std::optional<Item> found;
    PartitionQuery q;
    q.pk = std::string(ddb::kCooldownPk);
    Status visited = visit(q, [&](const Item& item) -> Result<bool> {
      found = item;
      return false;
    });
    if (!visited) return visited.error();
    return found;
  }

  Result<Lease> change_lease(std::string_view name, std::string_view holder, TimePoint now, bool create,
                             const std::function<Result<Lease>(const std::optional<Lease>&)>& rule) {
    if (auto s = check_open(); !s) return s.error();
    for (int round = 0; round < kMaxWriteRounds; ++round) {
      auto item = client_->get_item(table_, ddb::lease_key(name));
      if (!item) return item.error();
      std::optional<ddb::StoredLease> current;
      if (*item) current = ddb::decode_lease(**item);
      std::optional<Lease> lease;
      if (current) lease = current->lease;
      auto next = rule(lease);
      if (!next) return next.error();
      if (!current && !create) return *next;
      ddb::StoredLease stored{*next, current ? current->version + 1 : 1};
      // Compare-and-set on what we read, plus the rule itself (free, expired, or ours) so
      // the item alone shows why a write was allowed.
      Expression cond{"attribute_not_exists(PK)", {}, {}};
      if (current) {
        cond = Expression{"#v = :v AND (#exp <= :now OR #h = :me)",
                          {{"#v", "version"}, {"#exp", "expires_at"}, {"#h", "holder"}},
                          {{":v", attr_n(current->version)}, {":now", attr_n(to_unix_ms(now))}, {":me", attr_s(holder)}}};
        if (current->lease.holder.empty()) {
          cond = Expression{"#v = :v", {{"#v", "version"}}, {{":v", attr_n(current->version)}}};
        }
      }
      Status put = client_->put_item(table_, ddb::encode_lease(stored), &cond);
      if (is_conflict(put)) continue;
      if (!put.ok()) return put.error();
      return *next;
    }
    return make_error(ErrorKind::kConflict, "lease '" + std::string(name) + "' is too contended; retry");
  }

  Status visit(const PartitionQuery& q, const std::function<Result<bool>(const Item&)>& visitor) {
    json::value start;
    for (;;) {
      json::object params{{"TableName", table_}, {"ScanIndexForward", q.forward}, {"ConsistentRead", true},
                          {"KeyConditionExpression", "#pk = :pk"}};
      json::object names{{"#pk", "PK"}};
      json::object values{{":pk", attr_s(q.pk)}};
      for (const auto& [k, v] : q.names) names[k] = v;
      for (const auto& [k, v] : q.values) values[k] = v;
      params["ExpressionAttributeNames"] = std::move(names);
      params["ExpressionAttributeValues"] = std::move(values);
      if (!q.filter.empty()) params["FilterExpression"] = q.filter;
      if (!q.projection.empty()) params["ProjectionExpression"] = q.projection;
      if (q.page > 0) params["Limit"] = q.page;
      if (start.is_object()) params["ExclusiveStartKey"] = start;
      auto out = client_->raw().call("Query", params);
      if (!out) return out.error();
      const json::object& body = out->as_object();
      if (const json::value* items = body.if_contains("Items"); items != nullptr && items->is_array()) {
        for (const auto& item : items->as_array()) {
          if (!item.is_object()) continue;
          auto more = visitor(item.as_object());
          if (!more) return more.error();
          if (!*more) return ok_status();
        }
      }
      const json::value* last = body.if_contains("LastEvaluatedKey");
      if (last == nullptr || !last->is_object() || last->as_object().empty()) return ok_status();
      start = *last;
    }
  }

  Result<std::int64_t> count(const std::string& pk) {
    std::int64_t total = 0;
    json::value start;
    for (;;) {
      json::object params{{"TableName", table_},
                          {"ConsistentRead", true},
                          {"Select", "COUNT"},
                          {"KeyConditionExpression", "#pk = :pk"},
                          {"ExpressionAttributeNames", json::object{{"#pk", "PK"}}},
                          {"ExpressionAttributeValues", json::object{{":pk", attr_s(pk)}}}};
      if (start.is_object()) params["ExclusiveStartKey"] = start;
      auto out = client_->raw().call("Query", params);
      if (!out) return out.error();
      const json::object& body = out->as_object();
      if (const json::value* c = body.if_contains("Count"); c != nullptr && c->is_int64()) total += c->as_int64();
      const json::value* last = body.if_contains("LastEvaluatedKey");
      if (last == nullptr || !last->is_object() || last->as_object().empty()) return total;
      start = *last;
    }
  }

  // Constant after construction.
  const std::shared_ptr<aws::DynamoDbClient> client_;
  const std::string table_;
  const std::shared_ptr<Clock> clock_;

  std::atomic<bool> closed_{false};
  // Last: its writers use everything above, and close() (from the destructor) ends them.
  ddb::IngestQueue ingest_{kIngestShards, kMaxIngestPending,
                           [this](const std::vector<const JobEvent*>& one_job) { return record_job_events(one_job); }};
};

}  // namespace

Result<std::shared_ptr<aws::DynamoDbClient>> make_dynamodb_client(aws::SessionOptions options) {
  auto session = aws::Session::create(std::move(options));
  if (!session) return session.error();
  return std::make_shared<aws::DynamoDbClient>((*session)->client(aws::Service::kDynamoDb));
}

Result<std::unique_ptr<Store>> open_dynamodb_store(const DynamoDbOptions& options) {
  if (options.table.empty()) {
    return make_error(ErrorKind::kInvalid, "no DynamoDB table name (store.dynamodb.table)");
  }
  std::shared_ptr<aws::DynamoDbClient> client = options.client;
  if (!client) {
    auto made = make_dynamodb_client(options.session);
    if (!made) return made.error();
    client = std::move(*made);
  }
  auto state = ddb::check_table(*client, options.table);
  if (!state) return state.error();
  if (state->status != "ACTIVE" && state->status != "UPDATING") {
    return make_error(ErrorKind::kRetryable,
                      "DynamoDB table '" + options.table + "' is " + state->status + "; retry when it is ACTIVE");
  }
  return std::unique_ptr<Store>(
      std::make_unique<DynamoDbStore>(std::move(client), options.table, options.clock ? options.clock : system_clock()));
}

}  // namespace ghscale::store
