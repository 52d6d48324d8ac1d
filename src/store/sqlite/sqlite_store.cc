#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/job_merge.h"
#include "store/lease_rules.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/db.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/write_queue.h"

namespace ghscale::store {
namespace {

using sqlite::Connection;
using sqlite::Stmt;

// Rows deleted per write during retention, so pruning never holds the write lock long.
constexpr std::int64_t kPruneChunk = 2000;

// SQL built once from the column lists in rows.cc.
struct Sql {
  std::string select_job = std::string("SELECT ") + sqlite::kJobColumns + " FROM jobs WHERE job_id = ?1";
  std::string insert_job = std::string("INSERT INTO jobs (") + sqlite::kJobColumns +
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                           "?17, ?18, ?19, ?20, ?21, ?22)";
  std::string update_job =
      "UPDATE jobs SET status = ?2, labels = ?3, delivery_id = ?4, event = ?5, action = ?6, run_id = ?7, "
      "run_attempt = ?8, repository = ?9, owner = ?10, installation_id = ?11, conclusion = ?12, runner_id = ?13, "
      "runner_name = ?14, runner_group_id = ?15, runner_group_name = ?16, workflow_name = ?17, job_name = ?18, "
      "created_at = ?19, started_at = ?20, completed_at = ?21, received_at = ?22 WHERE job_id = ?1";
  std::string queued_jobs = sqlite::queued_jobs_sql();
  std::string list_all = std::string("SELECT ") + sqlite::kJobColumns + " FROM jobs ORDER BY job_id DESC LIMIT ?1";
  // Active jobs through jobs_active (sqlite::kFromActiveJobs); the status is a literal, as
  // the planner needs it to pick that index. Only completed jobs are listed by walking the
  // table backwards, where most rows match.
  std::string list_by_status(JobStatus status) const {
    return std::string("SELECT ") + sqlite::kJobColumns + " " +
           (status == JobStatus::kCompleted ? std::string("FROM jobs WHERE") : std::string(sqlite::kFromActiveJobs) + " AND") +
           " status = " + std::to_string(static_cast<int>(status)) + " ORDER BY job_id DESC LIMIT ?1";
  }
  // Reading no job's columns but run_id.
  std::string active_run_ids = std::string("SELECT DISTINCT run_id ") + sqlite::kFromActiveJobs +
                               " AND status >= 1 AND run_id != 0 ORDER BY run_id LIMIT ?1";
  std::string select_instance =
      std::string("SELECT ") + sqlite::kInstanceColumns + " FROM instances WHERE instance_id = ?1";
  std::string list_instances = std::string("SELECT ") + sqlite::kInstanceColumns +
                               " FROM instances WHERE (?1 = '' OR pool = ?1) AND (?2 OR state != 'terminated') "
                               "ORDER BY instance_id";
  std::string upsert_instance = std::string("INSERT OR REPLACE INTO instances (") + sqlite::kInstanceColumns +
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
  std::string last_actions =
      std::string("SELECT ") + sqlite::kActionColumns + " FROM actions ORDER BY id DESC LIMIT ?1";
  std::string last_action = std::string("SELECT ") + sqlite::kActionColumns +
                            " FROM actions WHERE pool = ?1 AND kind = ?2 ORDER BY id DESC LIMIT 1";
  std::string select_lease = std::string("SELECT ") + sqlite::kLeaseColumns + " FROM leases WHERE name = ?1";
};

const Sql& sql() {
  static const Sql instance;
  return instance;
}

Error not_found(std::string what) { return make_error(ErrorKind::kNotFound, std::move(what)); }

// Reads every row of `stmt` through `row`, which returns false to stop early.
template <typename F>
Status each_row(Stmt& stmt, F&& row) {
  for (;;) {
    auto more = stmt.step();
    if (!more) return more.error();
    if (!*more || !row(stmt)) return ok_status();
  }
}

Result<std::optional<Lease>> find_lease(Connection& c, std::string_view name) {
  auto stmt = c.prepare(sql().select_lease);
  if (!stmt) return stmt.error();
  (*stmt)->bind(1, name);
  auto row = (*stmt)->step();
  if (!row) return row.error();
  if (!*row) return std::optional<Lease>();
  return std::optional<Lease>(sqlite::read_lease(**stmt));
}

Status put_lease(Connection& c, const Lease& lease) {
  auto stmt = c.prepare("INSERT OR REPLACE INTO leases (name, holder, expires_at, token) VALUES (?1, ?2, ?3, ?4)");
  if (!stmt) return stmt.error();
  return (*stmt)->bind(1, lease.name).bind(2, lease.holder).bind(3, lease.expires_at).bind(4, lease.token).run();
}

std::optional<Error> check_event(const JobEvent& event) {
  if (event.delivery_id.empty()) return make_error(ErrorKind::kInvalid, "job event has no delivery id");
  if (event.job_id == 0) return make_error(ErrorKind::kInvalid, "job event " + event.delivery_id + " has no job id");
  return std::nullopt;
}

// One delivery: dedupe by delivery id, then merge into the job (store/job_merge.h).
Status apply_record(Connection& c, const JobEvent& event, RecordOutcome& outcome) {
  auto dedupe = c.prepare("INSERT INTO deliveries (delivery_id, job_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  if (!dedupe) return dedupe.error();
  if (auto r = (*dedupe)->bind(1, event.delivery_id).bind(2, event.job_id).run(); !r) return r;
  if (c.changes() == 0) {
    outcome = RecordOutcome::kDuplicate;
    return ok_status();
  }
  outcome = RecordOutcome::kRecorded;
  std::optional<Job> current;
  {
    auto select = c.prepare(sql().select_job);
    if (!select) return select.error();
    auto row = (*select)->bind(1, event.job_id).step();
    if (!row) return row.error();
    if (*row) current = sqlite::read_job(**select);
  }
  const Job merged = merge_job(current ? &*current : nullptr, event);
  auto put = c.prepare(current ? sql().update_job : sql().insert_job);
  if (!put) return put.error();
  sqlite::bind_job(**put, merged);
  return (*put)->run();
}

// record_async()'s write: the event stays the caller's until done has been called.
class RecordWrite final : public sqlite::Write {
 public:
  RecordWrite(const JobEvent& event, Store::RecordDone done) : event_(event), done_(std::move(done)) {}
  Status apply(Connection& c) override { return apply_record(c, event_, outcome_); }
  void finish(Status result) override {
    if (result) {
      done_(outcome_);
    } else {
      done_(std::move(result).error());
    }
  }

 private:
  const JobEvent& event_;
  Store::RecordDone done_;
  RecordOutcome outcome_ = RecordOutcome::kRecorded;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, const SqliteOptions& options, std::unique_ptr<Connection> writer,
              std::unique_ptr<sqlite::Checkpointer> checkpointer)
      : path_(std::move(path)),
        clock_(options.clock ? options.clock : system_clock()),
        readers_(path_, options.busy_timeout),
        checkpointer_(std::move(checkpointer)),
        writes_(std::make_unique<sqlite::WriteQueue>(
            std::move(writer), sqlite::WriteQueueOptions{options.max_batch, options.max_linger})) {}

  ~SqliteStore() override { (void)close(); }

  Result<RecordOutcome> record(const JobEvent& event) override {
    if (auto invalid = check_event(event)) return *invalid;
    RecordOutcome outcome = RecordOutcome::kRecorded;
    Status s = write([&](Connection& c) { return apply_record(c, event, outcome); }, sqlite::WriteQueue::Lane::kIngest);
    if (!s) return s.error();
    return outcome;
  }

  void record_async(const JobEvent& event, RecordDone done) override {
    if (auto invalid = check_event(event)) return done(*invalid);
    // No lifecycle_ lock: the queue refuses writes itself once closed, and holding no lock
    // a status read or the scaler takes keeps ingestion off their path.
    writes_->submit(sqlite::WriteQueue::Lane::kIngest, std::make_unique<RecordWrite>(event, std::move(done)));
  }

  bool records_asynchronously() const override { return true; }

  Result<std::vector<Job>> queued_jobs(const std::optional<LabelSet>& pool_labels, std::size_t limit) override {
    return read([&](Connection& c) -> Result<std::vector<Job>> {
      auto stmt = c.prepare(sql().queued_jobs);
      if (!stmt) return stmt.error();
      // With a label filter the limit applies after filtering, so SQL gets none (-1).
      (*stmt)->bind(1, pool_labels ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
      std::vector<Job> out;
      if (limit == 0) return out;
      Status s = each_row(**stmt, [&](Stmt& row) {
        // Check the labels before decoding the whole row: most rows may not match.
        if (pool_labels && !sqlite::parse_labels_column(row).subset_of(*pool_labels)) return true;
        out.push_back(sqlite::read_job(row));
        return out.size() < limit;
      });
      if (!s) return s.error();
      return out;
    });
  }

  Result<Job> get_job(std::int64_t job_id) override {
    return read([&](Connection& c) -> Result<Job> {
      auto stmt = c.prepare(sql().select_job);
      if (!stmt) return stmt.error();
      auto row = (*stmt)->bind(1, job_id).step();
      if (!row) return row.error();
      if (!*row) return not_found("job " + std::to_string(job_id) + " is not in the store");
      return sqlite::read_job(**stmt);
    });
  }

  Result<JobCounts> job_counts() override {
    return read([&](Connection& c) -> Result<JobCounts> {
      auto stmt = c.prepare("SELECT status, n FROM job_counts");
      if (!stmt) return stmt.error();
      JobCounts counts;
      Status s = each_row(**stmt, [&](Stmt& row) {
        const std::int64_t n = row.int64(1);
        switch (row.int64(0)) {
          case 0: counts.waiting = n; break;
          case 1: counts.queued = n; break;
          case 2: counts.in_progress = n; break;
          case 3: counts.completed = n; break;
          default: break;
        }
        return true;
      });
      if (!s) return s.error();
      return counts;
    });
  }

  Result<std::vector<Job>> list_jobs(const JobFilter& filter) override {
    return read([&](Connection& c) -> Result<std::vector<Job>> {
      auto stmt = c.prepare(filter.status ? sql().list_by_status(*filter.status) : sql().list_all);
      if (!stmt) return stmt.error();
      (*stmt)->bind(1, static_cast<std::int64_t>(filter.limit));
      std::vector<Job> out;
      Status s = each_row(**stmt, [&](Stmt& row) {
        out.push_back(sqlite::read_job(row));
        return true;
      });
      if (!s) return s.error();
      return out;
    });
  }

  Result<std::vector<std::int64_t>> active_run_ids(std::size_t limit) override {
    return read([&](Connection& c) -> Result<std::vector<std::int64_t>> {
      auto stmt = c.prepare(sql().active_run_ids);
      if (!stmt) return stmt.error();
      (*stmt)->bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
      std::vector<std::int64_t> out;
      Status s = each_row(**stmt, [&](Stmt& row) {
        out.push_back(row.int64(0));
        return true;
      });
      if (!s) return s.error();
      return out;
    });
  }

  Status upsert_instance(const Instance& instance) override {
    if (instance.instance_id.empty()) return make_error(ErrorKind::kInvalid, "instance has no instance_id");
    return write([&](Connection& c) -> Status {
      auto stmt = c.prepare(sql().upsert_instance);
      if (!stmt) return stmt.error();
      sqlite::bind_instance(**stmt, instance);
      return (*stmt)->run();
    });
  }

  Result<Instance> get_instance(std::string_view instance_id) override {
    return read([&](Connection& c) -> Result<Instance> {
      auto stmt = c.prepare(sql().select_instance);
      if (!stmt) return stmt.error();
      auto row = (*stmt)->bind(1, instance_id).step();
      if (!row) return row.error();
      if (!*row) return not_found("instance " + std::string(instance_id) + " is not in the store");
      return sqlite::read_instance(**stmt);
    });
  }

  Result<std::vector<Instance>> list_instances(std::string_view pool, bool include_terminated) override {
    return read([&](Connection& c) -> Result<std::vector<Instance>> {
      auto stmt = c.prepare(sql().list_instances);
      if (!stmt) return stmt.error();
      (*stmt)->bind(1, pool).bind(2, std::int64_t{include_terminated ? 1 : 0});
      std::vector<Instance> out;
      Status s = each_row(**stmt, [&](Stmt& row) {
        out.push_back(sqlite::read_instance(row));
        return true;
      });
      if (!s) return s.error();
      return out;
    });
  }

  Status update_instance_state(std::string_view instance_id, InstanceState state) override {
    return write([&](Connection& c) -> Status {
      auto stmt = c.prepare("UPDATE instances SET state = ?2 WHERE instance_id = ?1");
      if (!stmt) return stmt.error();
      if (auto s = (*stmt)->bind(1, instance_id).bind(2, to_string(state)).run(); !s) return s;
      if (c.changes() == 0) return not_found("instance " + std::string(instance_id) + " is not in the store");
      return ok_status();
    });
  }

  Result<std::int64_t> append_action(const Action& action) override {
    std::int64_t id = 0;
    Status s = write([&](Connection& c) -> Status {
      auto stmt = c.prepare(
          "INSERT INTO actions (at, pool, kind, count, reason, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      if (!stmt) return stmt.error();
      (*stmt)->bind(1, action.at).bind(2, action.pool).bind(3, to_string(action.kind)).bind(4, action.count);
      (*stmt)->bind(5, action.reason).bind(6, action.result);
      if (auto r = (*stmt)->run(); !r) return r;
      id = sqlite3_last_insert_rowid(c.raw());
      return ok_status();
    });
    if (!s) return s.error();
    return id;
  }

  Result<std::vector<Action>> last_actions(std::size_t n) override {
    return read([&](Connection& c) -> Result<std::vector<Action>> {
      auto stmt = c.prepare(sql().last_actions);
      if (!stmt) return stmt.error();
      (*stmt)->bind(1, static_cast<std::int64_t>(n));
      std::vector<Action> out;
      Status s = each_row(**stmt, [&](Stmt& row) {
        out.push_back(sqlite::read_action(row));
        return true;
      });
      if (!s) return s.error();
      return out;
    });
  }

  Result<std::optional<Action>> last_action(std::string_view pool, ActionKind kind) override {
    return read([&](Connection& c) -> Result<std::optional<Action>> {
      auto stmt = c.prepare(sql().last_action);
      if (!stmt) return stmt.error();
      auto row = (*stmt)->bind(1, pool).bind(2, to_string(kind)).step();
      if (!row) return row.error();
      if (!*row) return std::optional<Action>();
      return std::optional<Action>(sqlite::read_action(**stmt));
    });
  }

  Result<std::optional<std::string>> get_setting(std::string_view name) override {
    return read([&](Connection& c) -> Result<std::optional<std::string>> {
      auto stmt = c.prepare("SELECT value FROM settings WHERE name = ?1");
      if (!stmt) return stmt.error();
      auto row = (*stmt)->bind(1, name).step();
      if (!row) return row.error();
      if (!*row) return std::optional<std::string>();
      return std::optional<std::string>((*stmt)->text(0));
    });
  }

  Status set_setting(std::string_view name, std::string_view value) override {
    if (name.empty()) return make_error(ErrorKind::kInvalid, "setting name is empty");
    return write([&](Connection& c) -> Status {
      auto stmt = c.prepare(
          "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value");
      if (!stmt) return stmt.error();
      return (*stmt)->bind(1, name).bind(2, value).run();
    });
  }

  Result<std::optional<Lease>> get_lease(std::string_view name) override {
    return read([&](Connection& c) -> Result<std::optional<Lease>> { return find_lease(c, name); });
  }

  Result<Lease> acquire_lease(std::string_view name, std::string_view holder, Duration ttl, TimePoint now) override {
    return change_lease(name, [&](const std::optional<Lease>& current) {
      return lease_after_acquire(current, name, holder, ttl, now);
    });
  }

  Result<Lease> renew_lease(std::string_view name, std::string_view holder, Duration ttl, TimePoint now) override {
    return change_lease(name, [&](const std::optional<Lease>& current) {
      return lease_after_renew(current, name, holder, ttl, now);
    });
  }

  Status release_lease(std::string_view name, std::string_view holder, TimePoint now) override {
    return write([&](Connection& c) -> Status {
      auto current = find_lease(c, name);
      if (!current) return current.error();
      if (auto s = check_release(*current, name, holder, now); !s) return s;
      if (!*current) return ok_status();
      // Keep the row (so the fencing token keeps growing), but free it for every clock.
      Lease freed = **current;
      freed.expires_at = TimePoint{};
      return put_lease(c, freed);
    });
  }

  Result<PruneResult> prune(const RetentionPolicy& policy) override {
    const TimePoint now = clock_->now();
    const std::int64_t job_cutoff = to_unix_ms(now - policy.completed_jobs_older_than);
    const std::int64_t action_cutoff = to_unix_ms(now - policy.actions_older_than);
    PruneResult total;
    for (bool more = true; more;) {
      PruneResult chunk;
      Status s = write([&](Connection& c) -> Status {
        std::vector<std::int64_t> ids;
        {
          auto select = c.prepare(
              "SELECT job_id FROM jobs INDEXED BY jobs_completed_age WHERE status = 3 AND received_at < ?1 LIMIT ?2");
          if (!select) return select.error();
          (*select)->bind(1, job_cutoff).bind(2, kPruneChunk);
          Status st = each_row(**select, [&](Stmt& row) {
            ids.push_back(row.int64(0));
            return true;
          });
          if (!st) return st;
        }
        auto del_deliveries = c.prepare("DELETE FROM deliveries WHERE job_id = ?1");
        auto del_job = c.prepare("DELETE FROM jobs WHERE job_id = ?1");
        if (!del_deliveries) return del_deliveries.error();
        if (!del_job) return del_job.error();
        for (std::int64_t id : ids) {
          if (auto st = (*del_deliveries)->bind(1, id).run(); !st) return st;
          chunk.deliveries += c.changes();
          if (auto st = (*del_job)->bind(1, id).run(); !st) return st;
          chunk.jobs += c.changes();
        }
        auto del_actions = c.prepare(
            "DELETE FROM actions WHERE id IN (SELECT id FROM actions WHERE at < ?1 ORDER BY at LIMIT ?2)");
        if (!del_actions) return del_actions.error();
        if (auto st = (*del_actions)->bind(1, action_cutoff).bind(2, kPruneChunk).run(); !st) return st;
        chunk.actions = c.changes();
        more = static_cast<std::int64_t>(ids.size()) == kPruneChunk || chunk.actions == kPruneChunk;
        return ok_status();
      });
      if (!s) return s.error();
      total.jobs += chunk.jobs;
      total.deliveries += chunk.deliveries;
      total.actions += chunk.actions;
    }
    return total;
  }

  Status ping() override {
    return read([&](Connection& c) -> Status {
      auto stmt = c.prepare("SELECT n FROM job_counts LIMIT 1");
      if (!stmt) return stmt.error();
      return (*stmt)->run();
    });
  }

  Status flush() override {
    // The queue is FIFO: once this empty write has committed, every earlier one has.
    return write([](Connection&) { return ok_status(); });
  }

  Status close() override {
    std::unique_lock lock(lifecycle_);
    if (closed_) return ok_status();
    closed_ = true;
    // Readers first, so the writer's connection is the last and checkpoints the WAL away.
    readers_.clear();
    checkpointer_->stop();
    writes_->stop();
    return ok_status();
  }

 private:
  Error closed_error() const {
    return make_error(ErrorKind::kPermanent, "store file '" + path_ + "' is closed");
  }

  template <typename F>
  std::invoke_result_t<F, Connection&> read(F&& f) {
    std::shared_lock lock(lifecycle_);
    if (closed_) return closed_error();
    auto conn = readers_.borrow();
    if (!conn) return conn.error();
    return f(**conn);
  }

  Status write(sqlite::WriteQueue::Op op, sqlite::WriteQueue::Lane lane = sqlite::WriteQueue::Lane::kGeneral) {
    std::shared_lock lock(lifecycle_);
    if (closed_) return closed_error();
    return writes_->run(std::move(op), lane);
  }

  template <typename F>
  Result<Lease> change_lease(std::string_view name, F&& decide) {
    std::optional<Lease> result;
    Status s = write([&](Connection& c) -> Status {
      auto current = find_lease(c, name);
      if (!current) return current.error();
      auto next = decide(*current);
      if (!next) return next.error();
      if (auto st = put_lease(c, *next); !st) return st;
      result = *next;
      return ok_status();
    });
    if (!s) return s.error();
    return *result;
  }

  // Constant after construction.
  const std::string path_;
  const std::shared_ptr<Clock> clock_;
  sqlite::ReaderPool readers_;  // thread-safe itself

  // Readers and writers hold it shared; close() holds it exclusively, so no call is in
  // flight while connections close.
  std::shared_mutex lifecycle_;
  bool closed_ = false;  // guarded by lifecycle_
  // Stopped (not destroyed) by close(): the writer's WAL hook points at it until the end.
  const std::unique_ptr<sqlite::Checkpointer> checkpointer_;
  // Thread-safe itself; stopped (not destroyed) by close(), so record_async() needs no lock.
  const std::unique_ptr<sqlite::WriteQueue> writes_;
};

Status check_path(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) return make_error(ErrorKind::kInvalid, "the store path is empty; set store.sqlite.path to a file");
  std::error_code ec;
  const fs::path file(path);
  if (fs::is_directory(file, ec)) {
    return make_error(ErrorKind::kInvalid,
                      "store file '" + path + "' is a directory; set store.sqlite.path to a file inside it");
  }
  const fs::path parent = file.parent_path();
  if (parent.empty()) return ok_status();
  const auto status = fs::status(parent, ec);
  if (status.type() == fs::file_type::not_found) {
    return make_error(ErrorKind::kInvalid, "cannot open store file '" + path + "': directory '" + parent.string() +
                                               "' does not exist; create it or set store.sqlite.path elsewhere");
  }
  if (!ec && status.type() != fs::file_type::directory) {
    return make_error(ErrorKind::kInvalid, "cannot open store file '" + path + "': '" + parent.string() +
                                               "' is not a directory; set store.sqlite.path to a file in a directory");
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, const SqliteOptions& options) {
  if (auto s = check_path(path); !s) return s.error();
  auto writer = Connection::open(path, Connection::Mode::kReadWrite, options.busy_timeout);
  if (!writer) return writer.error();
  if (auto s = sqlite::open_schema(**writer, options.durable); !s) return s.error();
  auto checkpointer = sqlite::Checkpointer::start(path, options.busy_timeout, (*writer)->raw());
  if (!checkpointer) return checkpointer.error();
  auto store = std::make_unique<SqliteStore>(path, options, std::move(*writer), std::move(*checkpointer));
  // Fail now rather than on the first read if a reader cannot open the file.
  if (auto s = store->ping(); !s) return s.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace ghscale::store
