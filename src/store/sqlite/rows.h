// Mapping between the store's value types and rows of the SQLite schema (schema.cc).
// The SELECT column lists and the readers below must stay in the same order.
#pragma once

#include <string>
#include <string_view>

#include "core/action.h"
#include "core/instance.h"
#include "core/job.h"
#include "store/sqlite/db.h"
#include "store/store.h"

namespace ghscale::store::sqlite {

// The labels column holds a JSON array of strings (schema version 2): a label may contain
// a comma, so the comma-joined text of version 1 could not hold it.
std::string labels_to_json(const LabelSet& labels);
LabelSet labels_from_json(std::string_view text);

// "job_id, status, ... received_at": 22 columns, read by read_job().
extern const char* const kJobColumns;
Job read_job(const Stmt& stmt);
// Only the labels column of a kJobColumns row: cheaper than read_job() for filtering.
LabelSet parse_labels_column(const Stmt& stmt);
// Binds ?1..?22 in kJobColumns order.
void bind_job(Stmt& stmt, const Job& job);

// "FROM jobs INDEXED BY jobs_active WHERE status < 3": the jobs not completed, through the
// partial index jobs_active (status WHERE status < 3), which holds the job id as its last
// column. SQLite uses a partial index only when the query repeats its condition word for
// word, so every query of active jobs starts with this and adds its own terms with AND.
// Left to itself the planner picked a rowid scan (walking every completed job) on a young
// file and a range scan plus sort on an analysed one; tests/store checks the plan.
extern const char* const kFromActiveJobs;

// queued_jobs(): the status = 1 entries of jobs_active, already in job id order.
std::string queued_jobs_sql();

extern const char* const kInstanceColumns;
Instance read_instance(const Stmt& stmt);
void bind_instance(Stmt& stmt, const Instance& instance);

extern const char* const kActionColumns;
Action read_action(const Stmt& stmt);

extern const char* const kLeaseColumns;
Lease read_lease(const Stmt& stmt);

}  // namespace ghscale::store::sqlite
