// Durability under SIGKILL: a child process records events as fast as it can and prints
// each delivery id once record() acknowledged it. We kill it at random moments, reopen
// the store, and require every acknowledged id to be there and the file to be consistent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store_test_util.h"

namespace ghscale::store {
namespace {

// Output of one child run: the lines it completed before it died.
struct ChildRun {
  bool ready = false;
  std::vector<std::string> acked;
};

// Starts the helper, lets it run for `run_for` after it reports ready, then SIGKILLs it.
ChildRun run_and_kill(const std::string& db, const std::string& prefix, std::chrono::milliseconds run_for) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(STORE_CRASH_CHILD, STORE_CRASH_CHILD, db.c_str(), prefix.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string buffer;
  ChildRun run;
  auto read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[65536];
    const ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  };
  const auto start_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (buffer.find("ready\n") == std::string::npos && std::chrono::steady_clock::now() < start_deadline) {
    if (!read_some(100) && waitpid(pid, nullptr, WNOHANG) == pid) break;
  }
  run.ready = buffer.find("ready\n") != std::string::npos;
  const auto kill_at = std::chrono::steady_clock::now() + run_for;
  while (run.ready && std::chrono::steady_clock::now() < kill_at) read_some(5);
  kill(pid, SIGKILL);
  while (read_some(1000)) {
  }
  waitpid(pid, nullptr, 0);
  close(fds[0]);
  // Only whole lines count: a line is printed after its record() returned.
  std::size_t begin = 0;
  for (std::size_t nl; (nl = buffer.find('\n', begin)) != std::string::npos; begin = nl + 1) {
    std::string line = buffer.substr(begin, nl - begin);
    if (line != "ready") run.acked.push_back(std::move(line));
  }
  return run;
}

std::string query(sqlite3* db, const char* sql) {
  std::string out;
  sqlite3_exec(
      db, sql,
      [](void* arg, int n, char** values, char**) {
        auto* text = static_cast<std::string*>(arg);
        for (int i = 0; i < n; ++i) *text += (values[i] != nullptr ? values[i] : "NULL") + std::string(";");
        return 0;
      },
      &out, nullptr);
  return out;
}

TEST(SqliteStoreCrash, EveryAcknowledgedWriteSurvivesSigkill) {
  testing::TempDir dir;
  const std::string db = dir.file("store.db");
  std::mt19937 rng(20240917);
  std::uniform_int_distribution<int> run_ms(20, 250);
  std::unordered_set<std::string> acked;
  constexpr int kRounds = 20;
  const auto started = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    ChildRun run = run_and_kill(db, "r" + std::to_string(round), std::chrono::milliseconds(run_ms(rng)));
    ASSERT_TRUE(run.ready) << "round " << round << ": the helper did not start";
    acked.insert(run.acked.begin(), run.acked.end());

    // Reopening through the store recovers the WAL like the daemon would on restart.
    {
      auto store = open_sqlite_store(db);
      ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.error().describe();
      auto counts = (*store)->job_counts();
      ASSERT_TRUE(counts.ok());
      EXPECT_GE(counts->queued, static_cast<std::int64_t>(acked.size()));
    }
    sqlite3* conn = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db.c_str(), &conn, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    EXPECT_EQ(query(conn, "PRAGMA integrity_check"), "ok;") << "round " << round;
    EXPECT_EQ(query(conn, "SELECT count(*) FROM jobs"), query(conn, "SELECT count(*) FROM deliveries"));
    EXPECT_EQ(query(conn, "SELECT count(*) FROM jobs WHERE status = 1"),
              query(conn, "SELECT n FROM job_counts WHERE status = 1"));
    std::unordered_set<std::string> present;
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(conn, "SELECT delivery_id FROM deliveries", -1, &stmt, nullptr), SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      present.emplace(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(conn);
    std::size_t missing = 0;
    for (const auto& id : acked) missing += present.count(id) == 0 ? 1 : 0;
    ASSERT_EQ(missing, 0u) << "round " << round << ": acknowledged deliveries lost";
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("crash test: %d kills, %zu acknowledged deliveries all present, %.1f s\n", kRounds, acked.size(),
              seconds);
  EXPECT_GT(acked.size(), 100u);
}

}  // namespace
}  // namespace ghscale::store
