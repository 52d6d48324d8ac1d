// The SQLite store's schema as version 1 wrote it (labels comma-joined), frozen here so
// that the tests can build a file the old version wrote and check that it migrates. Never
// edit: it is what files in the field look like.
#pragma once

namespace ghscale::store::testing {

inline constexpr const char* kSchemaV1 =
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
)sql";

}  // namespace ghscale::store::testing
