#include "store/sqlite/schema.h"

#include <array>
#include <string>

namespace ghscale::store::sqlite {
namespace {

// Migration N (1-based) moves a file from version N-1 to N. Never edit a released entry;
// append a new one.
constexpr std::array<const char*, 3> kMigrations = {
    // 1: the first schema.
    R"sql(
CREATE TABLE jobs (
  job_id INTEGER PRIMARY KEY,
  status INTEGER NOT NULL,            -- JobStatus: 0 waiting, 1 queued, 2 in_progress, 3 completed
  labels TEXT NOT NULL,               -- LabelSet::joined(): lower-case, sorted, comma-separated
  delivery_id TEXT NOT NULL,
  event TEXT NOT NULL,
  action TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  run_attempt INTEGER NOT NULL,
  repository TEXT NOT NULL,
  owner TEXT NOT NULL,
  installation_id INTEGER NOT NULL,
  conclusion TEXT NOT NULL,
  runner_id INTEGER NOT NULL,
  runner_name TEXT NOT NULL,
  runner_group_id INTEGER NOT NULL,
  runner_group_name TEXT NOT NULL,
  workflow_name TEXT NOT NULL,
  job_name TEXT NOT NULL,
  created_at INTEGER,                 -- unix ms, NULL when unknown
  started_at INTEGER,
  completed_at INTEGER,
  received_at INTEGER NOT NULL        -- unix ms of the latest delivery merged in
);
-- Queued jobs in job id order: queued_jobs() reads only this index and the rows it
-- names, so millions of completed jobs cost it nothing and no sort is needed.
CREATE INDEX jobs_queued ON jobs(job_id) WHERE status = 1;
-- Jobs not yet completed, for listings by status.
CREATE INDEX jobs_active ON jobs(status) WHERE status < 3;
-- Completed jobs by age, for retention.
CREATE INDEX jobs_completed_age ON jobs(received_at) WHERE status = 3;

-- Delivery ids seen (X-GitHub-Delivery), for dedupe; pruned with their job.
CREATE TABLE deliveries (
  delivery_id TEXT PRIMARY KEY,
  job_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX deliveries_job ON deliveries(job_id);

-- Counts by status, kept by triggers in the same transaction as the change, so counting
-- never scans the jobs table.
CREATE TABLE job_counts (status INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO job_counts(status, n) VALUES (0, 0), (1, 0), (2, 0), (3, 0);
CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN
  UPDATE job_counts SET n = n + 1 WHERE status = NEW.status;
END;
CREATE TRIGGER jobs_count_update AFTER UPDATE OF status ON jobs WHEN OLD.status != NEW.status BEGIN
  UPDATE job_counts SET n = n - 1 WHERE status = OLD.status;
  UPDATE job_counts SET n = n + 1 WHERE status = NEW.status;
END;
CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
  UPDATE job_counts SET n = n - 1 WHERE status = OLD.status;
END;

CREATE TABLE instances (
  instance_id TEXT PRIMARY KEY,
  pool TEXT NOT NULL,
  market TEXT NOT NULL,
  instance_type TEXT NOT NULL,
  state TEXT NOT NULL,
  runner_id INTEGER NOT NULL,
  runner_name TEXT NOT NULL,
  launched_at INTEGER NOT NULL,
  registered_at INTEGER,
  last_busy_at INTEGER,
  current_job_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX instances_pool ON instances(pool, instance_id);

CREATE TABLE actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids never reused after pruning
  at INTEGER NOT NULL,
  pool TEXT NOT NULL,
  kind TEXT NOT NULL,
  count INTEGER NOT NULL,
  reason TEXT NOT NULL,
  result TEXT NOT NULL
);
CREATE INDEX actions_pool_kind ON actions(pool, kind, id);
CREATE INDEX actions_at ON actions(at);

CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  token INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 2: labels as a JSON array of strings. Version 1 joined them with ',', so a runs-on
    // label "c,d" came back as two labels "c" and "d". Each old value is split on ',' (what
    // version 1 meant by it) and rewritten once; an empty value becomes [].
    R"sql(
UPDATE jobs SET labels = (
  WITH RECURSIVE split(label, rest) AS (
    SELECT NULL, jobs.labels || ','
    UNION ALL
    SELECT substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) FROM split WHERE rest <> ''
  )
  SELECT json_group_array(label) FROM split WHERE label IS NOT NULL AND label <> ''
);
)sql",
    // 3: jobs_queued goes. jobs_active, an index on status, holds the rowid (the job id) as
    // its last column, so its status = 1 entries are the queued jobs in job id order
    // already; the second index cost every queued job's write and its start one more page
    // (a WAL frame in the delivery's commit) for nothing.
    R"sql(
DROP INDEX jobs_queued;
)sql",
};

Result<std::int64_t> pragma_int(Connection& conn, const char* sql) {
  auto stmt = conn.prepare(sql);
  if (!stmt) return stmt.error();
  auto row = (*stmt)->step();
  if (!row) return row.error();
  return *row ? (*stmt)->int64(0) : 0;
}

Error refuse(ErrorKind kind, const Connection& conn, const std::string& why, const std::string& what_to_do) {
  return make_error(kind, "store file '" + conn.path() + "' " + why + "; " + what_to_do + ". The file was not changed.");
}

// Everything here only reads, so a refusal leaves the file untouched.
Status check_file(Connection& conn, std::int64_t& version) {
  auto user_version = pragma_int(conn, "PRAGMA user_version");
  if (!user_version) {
    return make_error(user_version.error().kind, user_version.error().message + ". The file was not changed.");
  }
  version = *user_version;
  auto app_id = pragma_int(conn, "PRAGMA application_id");
  if (!app_id) return app_id.error();
  if (*app_id != 0 && *app_id != kApplicationId) {
    return refuse(ErrorKind::kInvalid, conn, "is an SQLite database of another application",
                  "set store.sqlite.path to a file of its own");
  }
  if (version > current_schema_version()) {
    return refuse(ErrorKind::kInvalid, conn,
                  "has schema version " + std::to_string(version) + ", newer than this ghscale understands (" +
                      std::to_string(current_schema_version()) + ")",
                  "run the newer ghscale that wrote it, or set store.sqlite.path to another file");
  }
  if (version == 0) {
    auto tables = pragma_int(conn, "SELECT count(*) FROM sqlite_schema");
    if (!tables) return tables.error();
    if (*tables != 0) {
      return refuse(ErrorKind::kInvalid, conn, "is an SQLite database but not a ghscale store",
                    "set store.sqlite.path to a new file");
    }
  }
  return ok_status();
}

}  // namespace

int current_schema_version() { return static_cast<int>(kMigrations.size()); }

Status open_schema(Connection& conn, bool durable) {
  std::int64_t version = 0;
  if (auto s = check_file(conn, version); !s) return s;

  // WAL: readers never block the writer and a commit is one append (+ one fsync).
  auto mode = conn.prepare("PRAGMA journal_mode=WAL");
  if (!mode) return mode.error();
  auto row = (*mode)->step();
  if (!row) return row.error();
  if (!*row || (*mode)->text(0) != "wal") {
    return make_error(ErrorKind::kPermanent, "store file '" + conn.path() +
                                                 "': cannot switch to WAL journal mode; put the store on a "
                                                 "local file system");
  }
  mode.value()->reset();  // ends the statement before the next pragma
  // FULL: a commit is fsynced before it returns, so an acknowledged write survives power loss.
  if (auto s = conn.exec(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !s) return s;
  if (version == current_schema_version()) return ok_status();

  // IMMEDIATE takes the write lock first, so two processes opening a new file at once
  // migrate it once: the second re-reads the version inside the lock and finds it done.
  if (auto s = conn.exec("BEGIN IMMEDIATE"); !s) return s;
  auto again = pragma_int(conn, "PRAGMA user_version");
  if (!again) {
    (void)conn.exec("ROLLBACK");
    return again.error();
  }
  for (auto v = *again; v < current_schema_version(); ++v) {
    if (auto s = conn.exec(kMigrations[static_cast<std::size_t>(v)]); !s) {
      (void)conn.exec("ROLLBACK");
      return make_error(s.error().kind, s.error().message + " (migrating to schema version " +
                                             std::to_string(v + 1) + "; nothing was changed)");
    }
  }
  const std::string stamp = "PRAGMA user_version=" + std::to_string(current_schema_version()) +
                            "; PRAGMA application_id=" + std::to_string(kApplicationId);
  if (auto s = conn.exec(stamp.c_str()); !s) {
    (void)conn.exec("ROLLBACK");
    return s;
  }
  return conn.exec("COMMIT");
}

}  // namespace ghscale::store::sqlite
