// SQLite-only behaviour: refusing bad files without touching them, the schema, the query
// plans the benchmarks rely on, and leases across processes.
#include <gtest/gtest.h>

#include <cstdio>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <fstream>
#include <thread>
#include <vector>

#include "schema_v1.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_store.h"
#include "store_test_util.h"

namespace ghscale::store {
namespace {

using testing::make_event;
using testing::read_bytes;
using testing::TempDir;

// Runs SQL directly on a file, outside the store, to set up or inspect it.
std::string sql_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string out;
  char* err = nullptr;
  auto collect = [](void* arg, int n, char** values, char**) {
    auto* text = static_cast<std::string*>(arg);
    for (int i = 0; i < n; ++i) {
      if (!text->empty()) *text += "|";
      *text += values[i] != nullptr ? values[i] : "NULL";
    }
    return 0;
  };
  if (sqlite3_exec(db, sql.c_str(), collect, &out, &err) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << (err ? err : "?");
    sqlite3_free(err);
  }
  sqlite3_close(db);
  return out;
}

TEST(SqliteStore, NewFileGetsCurrentSchemaInWalMode) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  {
    auto store = open_sqlite_store(path);
    ASSERT_TRUE(store.ok()) << store.error().describe();
  }
  EXPECT_EQ(sql_exec(path, "PRAGMA user_version"), "3");
  EXPECT_EQ(sqlite::current_schema_version(), 3);
  // The queued jobs are read through jobs_active (version 3): no second index to write.
  EXPECT_EQ(sql_exec(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'jobs_queued'"), "0");
  EXPECT_EQ(sql_exec(path, "PRAGMA application_id"), std::to_string(0x67687363));
  EXPECT_EQ(sql_exec(path, "PRAGMA journal_mode"), "wal");
  // Reopening an up-to-date file is a no-op.
  auto again = open_sqlite_store(path);
  ASSERT_TRUE(again.ok()) << again.error().describe();
}

// A row as version 1 wrote it: labels comma-joined.
std::string v1_job_row(int job_id, int status, const std::string& labels) {
  const std::string id = std::to_string(job_id);
  return "INSERT INTO jobs VALUES (" + id + ", " + std::to_string(status) + ", '" + labels + "', 'd" + id +
         "', 'workflow_job', 'queued', 7, 1, 'acme/widgets', 'acme', 0, '', 0, '', 0, '', 'ci', 'build', 1000, NULL, "
         "NULL, 2000);"
         "INSERT INTO deliveries VALUES ('d" + id + "', " + id + ");";
}

TEST(SqliteStore, VersionOneFileMigratesItsCommaJoinedLabelsOnce) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  sql_exec(path, std::string(testing::kSchemaV1) + v1_job_row(1, 1, "linux,self-hosted,x64") +
                     v1_job_row(2, 1, "") + v1_job_row(3, 3, "gpu") +
                     "PRAGMA user_version = 1; PRAGMA application_id = " + std::to_string(sqlite::kApplicationId));
  {
    auto store = open_sqlite_store(path);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    auto job = (*store)->get_job(1);
    ASSERT_TRUE(job.ok()) << job.error().describe();
    EXPECT_EQ(job->labels, (LabelSet{"linux", "self-hosted", "x64"}));
    EXPECT_EQ((*store)->get_job(2)->labels, LabelSet{});
    EXPECT_EQ((*store)->get_job(3)->labels, LabelSet{"gpu"});
    auto queued = (*store)->queued_jobs(LabelSet{"self-hosted", "linux", "x64"}, 10);
    ASSERT_TRUE(queued.ok()) << queued.error().describe();
    EXPECT_EQ(queued->size(), 2u);  // job 1, and job 2 whose empty set any pool serves
    // Written by this version after the migration: JSON.
    ASSERT_TRUE((*store)->record(make_event("d4", 4, JobStatus::kQueued, {"self-hosted", "c,d"})).ok());
    ASSERT_TRUE((*store)->close().ok());
  }
  EXPECT_EQ(sql_exec(path, "PRAGMA user_version"), "3");
  EXPECT_EQ(sql_exec(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'jobs_queued'"), "0");
  const std::string migrated = sql_exec(path, "SELECT group_concat(labels, ' ') FROM (SELECT labels FROM jobs ORDER BY job_id)");
  EXPECT_EQ(migrated, R"(["linux","self-hosted","x64"] [] ["gpu"] ["c,d","self-hosted"])");
  // Once: opening it again changes nothing.
  ASSERT_TRUE(open_sqlite_store(path).ok());
  EXPECT_EQ(sql_exec(path, "SELECT group_concat(labels, ' ') FROM (SELECT labels FROM jobs ORDER BY job_id)"), migrated);
  // The counts kept by triggers were not disturbed by the rewrite.
  EXPECT_EQ(sql_exec(path, "SELECT group_concat(n) FROM (SELECT n FROM job_counts ORDER BY status)"), "0,3,0,1");
}

TEST(SqliteStore, UnreadableLabelsMatchNoPool) {
  EXPECT_EQ(sqlite::labels_from_json(R"(["a","b,c"])"), (LabelSet{"a", "b,c"}));
  EXPECT_EQ(sqlite::labels_from_json("[]"), LabelSet{});
  EXPECT_EQ(sqlite::labels_to_json(LabelSet{"b", "A", "x\"y"}), R"(["a","b","x\"y"])");
  for (const char* bad : {"linux,x64", R"(["a",1])", R"({"a":1})", "", "[\"unterminated"}) {
    const LabelSet set = sqlite::labels_from_json(bad);
    EXPECT_FALSE(set.empty()) << bad;
    EXPECT_FALSE(set.subset_of(LabelSet{"linux", "x64", "a", "self-hosted"})) << bad;
  }
}

TEST(SqliteStore, NewerSchemaIsRefusedAndTheFileIsUnchanged) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  sql_exec(path, "CREATE TABLE future (x); PRAGMA user_version = 99");
  const std::string before = read_bytes(path);
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("99"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(SqliteStore, GarbageFileIsRefusedAndUnchanged) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage.push_back(static_cast<char>((i * 7919) % 251));
  std::ofstream(path, std::ios::binary) << garbage;
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("backup"), std::string::npos) << store.error().message;
  EXPECT_EQ(read_bytes(path), garbage);
}

TEST(SqliteStore, AnotherApplicationsDatabaseIsRefused) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  sql_exec(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY)");
  const std::string before = read_bytes(path);
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(store.error().message.find("not a ghscale store"), std::string::npos) << store.error().message;
  EXPECT_EQ(read_bytes(path), before);
}

TEST(SqliteStore, PathUnderARegularFileIsRefused) {
  // chmod 000 does not stop root, so make the parent "directory" a regular file instead.
  TempDir dir;
  const std::string not_a_dir = dir.file("plain-file");
  std::ofstream(not_a_dir) << "hello";
  const std::string path = not_a_dir + "/store.db";
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("not a directory"), std::string::npos) << store.error().message;
  EXPECT_EQ(read_bytes(not_a_dir), "hello");

  auto missing_dir = open_sqlite_store(dir.file("no-such-dir/store.db"));
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.error().message.find("does not exist"), std::string::npos) << missing_dir.error().message;
  EXPECT_EQ(open_sqlite_store("").error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(open_sqlite_store(dir.path().string()).error().kind, ErrorKind::kInvalid);
}

TEST(SqliteStore, QueuedQueryReadsOnlyThePartialIndex) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  ASSERT_TRUE(open_sqlite_store(path).ok());
  const std::string plan = sql_exec(path, "EXPLAIN QUERY PLAN " + sqlite::queued_jobs_sql());
  EXPECT_NE(plan.find("USING INDEX jobs_active"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  const std::string prune = sql_exec(
      path, "EXPLAIN QUERY PLAN SELECT job_id FROM jobs WHERE status = 3 AND received_at < 5 LIMIT 10");
  EXPECT_NE(prune.find("jobs_completed_age"), std::string::npos) << prune;
}

TEST(SqliteStore, CountsTableMatchesTheJobs) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.ok());
  for (int i = 1; i <= 30; ++i) {
    ASSERT_TRUE((*store)->record(make_event("q" + std::to_string(i), i, JobStatus::kQueued)).ok());
    if (i % 3 == 0) {
      ASSERT_TRUE((*store)->record(make_event("c" + std::to_string(i), i, JobStatus::kCompleted)).ok());
    }
  }
  ASSERT_TRUE((*store)->close().ok());
  EXPECT_EQ(sql_exec(path, "SELECT group_concat(status || ':' || n) FROM (SELECT status, count(*) n FROM jobs "
                           "GROUP BY status ORDER BY status)"),
            sql_exec(path, "SELECT group_concat(status || ':' || n) FROM (SELECT status, n FROM job_counts "
                           "WHERE n > 0 ORDER BY status)"));
}

// Several processes, each with several threads, race for one lease on the same file.
// Holds are written to a shared log (O_APPEND lines) and checked for overlap.
TEST(SqliteStore, ProcessesRacingForOneLeaseNeverOverlap) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  const std::string log_path = dir.file("holds.log");
  ASSERT_TRUE(open_sqlite_store(path).ok());  // create (and close) it before anyone races
  constexpr int kProcesses = 3;
  constexpr int kThreads = 3;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int exit_code = 0;
      {
        auto store = open_sqlite_store(path);
        if (!store.ok()) _exit(10);
        auto clock = system_clock();
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(800);
        std::vector<std::thread> threads;
        std::atomic<int> errors{0};
        for (int t = 0; t < kThreads; ++t) {
          threads.emplace_back([&, t] {
            std::string me = "p" + std::to_string(p) + "t" + std::to_string(t);
            int round = 0;
            while (std::chrono::steady_clock::now() < until) {
              auto lease = (*store)->acquire_lease("scaler", me, Duration(25), clock->now());
              if (!lease.ok()) {
                // Busy (retryable) under heavy contention is an answer, not a fault; what
                // must never happen is an overlap, checked below.
                if (lease.error().kind != ErrorKind::kConflict && !lease.error().retryable()) {
                  std::fprintf(stderr, "acquire_lease: %s\n", lease.error().describe().c_str());
                  ++errors;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
              }
              const std::int64_t start = to_unix_ms(clock->now());
              std::this_thread::sleep_for(std::chrono::milliseconds(2));
              std::int64_t end = std::min(to_unix_ms(clock->now()), to_unix_ms(lease->expires_at));
              if (++round % 3 != 0) {
                // A lease that ran out while this thread was descheduled (25 ms) may be
                // another's by now: releasing it is then refused (a conflict), rightly.
                if (auto r = (*store)->release_lease("scaler", me, clock->now());
                    !r.ok() && r.error().kind != ErrorKind::kConflict && !r.error().retryable()) {
                  std::fprintf(stderr, "release_lease: %s\n", r.error().describe().c_str());
                  ++errors;
                }
              } else {
                end = to_unix_ms(lease->expires_at);  // abandoned; come back as a new holder
                me = "p" + std::to_string(p) + "t" + std::to_string(t) + "r" + std::to_string(round);
              }
              const std::string line = std::to_string(start) + " " + std::to_string(end) + " " +
                                       std::to_string(lease->token) + " " + me + "\n";
              std::ofstream(log_path, std::ios::app) << line << std::flush;
            }
          });
        }
        for (auto& t : threads) t.join();
        if (errors.load() != 0) exit_code = 11;
      }
      _exit(exit_code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  struct Hold {
    std::int64_t start, end, token;
    std::string who;
  };
  std::vector<Hold> holds;
  std::ifstream in(log_path);
  Hold h;
  while (in >> h.start >> h.end >> h.token >> h.who) holds.push_back(h);
  ASSERT_GT(holds.size(), 10u);
  std::set<std::string> holders;
  for (const auto& x : holds) holders.insert(x.who.substr(0, 2));
  EXPECT_GT(holders.size(), 1u) << "only one process ever got the lease";
  std::sort(holds.begin(), holds.end(), [](const Hold& a, const Hold& b) { return a.start < b.start; });
  std::int64_t latest_end = holds[0].end;
  for (std::size_t i = 1; i < holds.size(); ++i) {
    EXPECT_LE(latest_end, holds[i].start) << holds[i].who << " overlaps an earlier holder";
    latest_end = std::max(latest_end, holds[i].end);
  }
}

}  // namespace
}  // namespace ghscale::store
