// A queued job written straight into a daemon's SQLite store file, as its webhook would
// have recorded it: what a command run on that store (`reconcile`, the Lambda's) then finds.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/clock.h"
#include "core/job.h"
#include "store/sqlite/sqlite_store.h"

namespace ghscale::testing {

// "d-<job_id>" in acme/app, runs-on self-hosted, linux, x64. Use under ASSERT_NO_FATAL_FAILURE.
inline void record_queued_job(const std::filesystem::path& db, std::int64_t job_id, std::int64_t run_id = 1) {
  auto store = store::open_sqlite_store(db.string());
  ASSERT_TRUE(store.ok()) << store.error().describe();
  JobEvent e;
  e.delivery_id = "d-" + std::to_string(job_id);
  e.event = "workflow_job";
  e.action = "queued";
  e.job_id = job_id;
  e.run_id = run_id;
  e.repository = "acme/app";
  e.owner = "acme";
  e.labels = LabelSet{"self-hosted", "linux", "x64"};
  e.received_at = system_clock()->now();
  ASSERT_TRUE((*store)->record(e).ok());
  ASSERT_TRUE((*store)->close().ok());
}

}  // namespace ghscale::testing
