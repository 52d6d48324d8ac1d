// The SQLite write queue on its own: group commit without a thread waiting per write, a
// lone write committed at once, a failing write rolled back alone, and stop() finishing
// what was queued and refusing the rest.
#include "store/sqlite/write_queue.h"

#include "store/sqlite/checkpointer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store_test_util.h"

namespace ghscale::store::sqlite {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Connection> open_table(const std::string& path) {
  auto conn = Connection::open(path, Connection::Mode::kReadWrite, std::chrono::seconds(5));
  EXPECT_TRUE(conn.ok());
  EXPECT_TRUE((*conn)->exec("PRAGMA journal_mode=WAL; CREATE TABLE t (k TEXT PRIMARY KEY)").ok());
  return std::move(*conn);
}

std::int64_t count_rows(const std::string& path) {
  auto conn = Connection::open(path, Connection::Mode::kReadOnly, std::chrono::seconds(5));
  auto stmt = (*conn)->prepare("SELECT count(*) FROM t");
  EXPECT_TRUE((*stmt)->step().ok());
  return (*stmt)->int64(0);
}

// Inserts one key; records the thread finish() ran on and the result.
class InsertWrite final : public Write {
 public:
  struct Log {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Status> results;
    std::vector<std::thread::id> threads;
    void wait_for(std::size_t n) {
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return results.size() >= n; }));
    }
  };
  InsertWrite(std::string key, Log& log) : key_(std::move(key)), log_(log) {}
  Status apply(Connection& c) override {
    auto stmt = c.prepare("INSERT INTO t (k) VALUES (?1)");
    if (!stmt) return stmt.error();
    return (*stmt)->bind(1, key_).run();
  }
  void finish(Status result) override {
    std::lock_guard lock(log_.mu);
    log_.results.push_back(std::move(result));
    log_.threads.push_back(std::this_thread::get_id());
    log_.cv.notify_all();
  }

 private:
  std::string key_;
  Log& log_;
};

TEST(WriteQueue, ManyQueuedWritesShareCommitsAndFinishOnTheWriterThread) {
  testing::TempDir dir;
  const std::string path = dir.file("q.db");
  WriteQueue queue(open_table(path), WriteQueueOptions{});
  InsertWrite::Log log;
  constexpr int kWrites = 2000;
  for (int i = 0; i < kWrites; ++i) {
    queue.submit(i % 2 ? WriteQueue::Lane::kIngest : WriteQueue::Lane::kGeneral,
                 std::make_unique<InsertWrite>("k" + std::to_string(i), log));
  }
  log.wait_for(kWrites);
  for (const auto& r : log.results) EXPECT_TRUE(r.ok()) << r.error().describe();
  for (const auto& t : log.threads) EXPECT_NE(t, std::this_thread::get_id());
  EXPECT_EQ(queue.writes(), static_cast<std::uint64_t>(kWrites));
  // Submitting returns before the commit, so writes pile up behind the first fsync.
  EXPECT_LT(queue.batches(), static_cast<std::uint64_t>(kWrites / 4));
  EXPECT_EQ(count_rows(path), kWrites);
}

TEST(WriteQueue, AWriteThatComesAloneIsCommittedAtOnce) {
  testing::TempDir dir;
  const std::string path = dir.file("q.db");
  // A linger far longer than any commit: a lone write that waited for it would show.
  WriteQueue queue(open_table(path), WriteQueueOptions{.max_batch = 2048, .max_linger = 2'000'000us});
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(queue.run([i](Connection& c) {
                       auto stmt = c.prepare("INSERT INTO t (k) VALUES (?1)");
                       if (!stmt) return Status(stmt.error());
                       return (*stmt)->bind(1, "solo" + std::to_string(i)).run();
                     }).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "write " << i;
  }
  EXPECT_EQ(queue.batches(), 20u);  // one commit each: nothing to share
  EXPECT_EQ(count_rows(path), 20);
}

TEST(WriteQueue, AFailingWriteIsRolledBackAloneAndTheBatchCommits) {
  testing::TempDir dir;
  const std::string path = dir.file("q.db");
  WriteQueue queue(open_table(path), WriteQueueOptions{});
  InsertWrite::Log log;
  // The same key twice in a row: the second violates the primary key.
  for (const char* key : {"a", "b", "b", "c"}) queue.submit(WriteQueue::Lane::kIngest, std::make_unique<InsertWrite>(key, log));
  log.wait_for(4);
  int failed = 0;
  for (const auto& r : log.results) {
    if (!r.ok()) {
      ++failed;
      EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
    }
  }
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(count_rows(path), 3);
}

TEST(WriteQueue, StopFinishesWhatWasQueuedAndRefusesLaterWrites) {
  testing::TempDir dir;
  const std::string path = dir.file("q.db");
  InsertWrite::Log log;
  auto queue = std::make_unique<WriteQueue>(open_table(path), WriteQueueOptions{});
  for (int i = 0; i < 500; ++i) queue->submit(WriteQueue::Lane::kIngest, std::make_unique<InsertWrite>("s" + std::to_string(i), log));
  queue->stop();
  {
    std::lock_guard lock(log.mu);
    ASSERT_EQ(log.results.size(), 500u);  // all finished before stop() returned
    for (const auto& r : log.results) EXPECT_TRUE(r.ok());
  }
  queue->submit(WriteQueue::Lane::kIngest, std::make_unique<InsertWrite>("late", log));
  {
    std::lock_guard lock(log.mu);
    ASSERT_EQ(log.results.size(), 501u);  // at once, on this thread
    EXPECT_EQ(log.threads.back(), std::this_thread::get_id());
    ASSERT_FALSE(log.results.back().ok());
    EXPECT_EQ(log.results.back().error().kind, ErrorKind::kPermanent);
  }
  EXPECT_EQ(queue->run([](Connection&) { return ok_status(); }).error().kind, ErrorKind::kPermanent);
  queue.reset();
  EXPECT_EQ(count_rows(path), 500);
}

TEST(Checkpointer, CheckpointsBesideTheWriterOnceTheWalIsLarge) {
  testing::TempDir dir;
  const std::string path = dir.file("q.db");
  auto conn = open_table(path);
  auto checkpointer = Checkpointer::start(path, std::chrono::seconds(5), conn->raw());
  ASSERT_TRUE(checkpointer.ok());
  WriteQueue queue(std::move(conn), WriteQueueOptions{});  // stopped before the checkpointer goes
  InsertWrite::Log log;
  // Keys of 4 KiB: 1,500 rows take more pages than the checkpoint threshold.
  constexpr int kRows = 1500;
  for (int i = 0; i < kRows; ++i) {
    queue.submit(WriteQueue::Lane::kIngest, std::make_unique<InsertWrite>(std::string(4096, 'x') + std::to_string(i), log));
  }
  log.wait_for(kRows);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((*checkpointer)->checkpoints() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE((*checkpointer)->checkpoints(), 1u);
  (*checkpointer)->stop();
  queue.stop();
  EXPECT_EQ(count_rows(path), kRows);
}

// One commit after another (a lone sender): past the threshold a checkpoint is asked for
// once per kCheckpointStep pages, not after every commit (each is two fsyncs contending with
// the commit's own), and the WAL still starts over instead of growing without end.
TEST(Checkpointer, ALoneWriterGetsAFewCheckpointsAndABoundedWal) {
  testing::TempDir dir;
  const std::string path = dir.file("q.db");
  auto conn = open_table(path);
  auto checkpointer = Checkpointer::start(path, std::chrono::seconds(5), conn->raw());
  ASSERT_TRUE(checkpointer.ok());
  WriteQueue queue(std::move(conn), WriteQueueOptions{});
  InsertWrite::Log log;
  // Each row of 4 KiB is a few WAL pages: 4,000 commits write several times kRestartPages.
  constexpr int kCommits = 4000;
  std::uintmax_t largest_wal = 0;
  for (int i = 0; i < kCommits; ++i) {
    queue.submit(WriteQueue::Lane::kIngest, std::make_unique<InsertWrite>(std::string(4096, 'y') + std::to_string(i), log));
    log.wait_for(static_cast<std::size_t>(i + 1));  // one at a time: every write its own commit
    if (i % 100 == 0) {
      std::error_code ec;
      largest_wal = std::max<std::uintmax_t>(largest_wal, std::filesystem::file_size(path + "-wal", ec));
    }
  }
  EXPECT_EQ(queue.batches(), static_cast<std::uint64_t>(kCommits));
  const std::uint64_t checkpoints = (*checkpointer)->checkpoints();
  EXPECT_GE(checkpoints, 2u);
  EXPECT_LT(checkpoints, static_cast<std::uint64_t>(kCommits / 20));  // was one per commit past the threshold
  // Started over: never much past the RESTART threshold (pages of 4 KiB plus frame headers).
  EXPECT_LT(largest_wal, static_cast<std::uintmax_t>(Checkpointer::kRestartPages + 4 * Checkpointer::kCheckpointStep) * 4200);
  (*checkpointer)->stop();
  queue.stop();
  EXPECT_EQ(count_rows(path), kCommits);
}

}  // namespace
}  // namespace ghscale::store::sqlite
