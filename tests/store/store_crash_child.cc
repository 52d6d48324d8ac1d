// Helper for store_crash_test: records job events as fast as it can from several threads
// and prints each delivery id on stdout only after record() returned ok, i.e. once the
// store acknowledged it as durable. The test SIGKILLs it at a random moment.
//
//   store_crash_child DBPATH PREFIX
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"

namespace {

bool write_line(const std::string& line) {
  // One write() per line: a pipe write of at most PIPE_BUF bytes is atomic, so lines from
  // several threads never interleave and a kill never leaves half a line.
  return ::write(STDOUT_FILENO, line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ghscale;
  if (argc != 3) {
    std::fprintf(stderr, "usage: store_crash_child DBPATH PREFIX\n");
    return 2;
  }
  const std::string prefix = argv[2];
  auto store = store::open_sqlite_store(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().describe().c_str());
    return 1;
  }
  write_line("ready\n");
  constexpr int kThreads = 8;
  std::atomic<std::int64_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        const std::int64_t n = next++;
        JobEvent e;
        e.delivery_id = prefix + "-" + std::to_string(n);
        e.event = "workflow_job";
        e.action = "queued";
        e.status = JobStatus::kQueued;
        // Distinct job per delivery; the prefix's hash keeps rounds apart.
        e.job_id = static_cast<std::int64_t>(std::hash<std::string>{}(e.delivery_id) & 0x3fffffffffffffff) + 1;
        e.labels = LabelSet{"self-hosted", "linux"};
        e.repository = "acme/widgets";
        auto r = (*store)->record(e);
        if (!r.ok()) {
          std::fprintf(stderr, "%s\n", r.error().describe().c_str());
          std::_Exit(3);
        }
        if (!write_line(e.delivery_id + "\n")) std::_Exit(4);
      }
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}
