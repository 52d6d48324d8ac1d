#include "store_test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "store/memory_store.h"
#include "dynalite.h"
#include "store/dynamodb/dynamodb_store.h"
#include "store/sqlite/sqlite_store.h"

namespace ghscale::store::testing {

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ghscale-store-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

JobEvent make_event(std::string delivery_id, std::int64_t job_id, JobStatus status, LabelSet labels,
                    TimePoint received_at) {
  JobEvent e;
  e.delivery_id = std::move(delivery_id);
  e.event = "workflow_job";
  e.action = std::string(to_string(status));
  e.job_id = job_id;
  e.run_id = job_id * 10;
  e.repository = "acme/widgets";
  e.owner = "acme";
  e.labels = std::move(labels);
  e.status = status;
  e.workflow_name = "ci";
  e.job_name = "build";
  e.received_at = received_at;
  return e;
}

Backend memory_backend() {
  return Backend{"Memory", false, [](const std::filesystem::path&, std::shared_ptr<Clock> clock) {
                   return make_memory_store(std::move(clock));
                 }};
}

Backend sqlite_backend() {
  return Backend{"Sqlite", true, [](const std::filesystem::path& dir, std::shared_ptr<Clock> clock) {
                   SqliteOptions options;
                   options.clock = std::move(clock);
                   auto store = open_sqlite_store((dir / "store.db").string(), options);
                   EXPECT_TRUE(store.ok()) << store.error().describe();
                   return store ? std::move(*store) : std::unique_ptr<Store>();
                 }};
}

Backend dynamodb_backend() {
  Backend b{"DynamoDb", true, [](const std::filesystem::path& dir, std::shared_ptr<Clock> clock) {
              auto client = Dynalite::get().client();
              const std::string table = Dynalite::table_for(dir.string());
              auto init = ensure_dynamodb_table(*client, table);
              EXPECT_TRUE(init.ok()) << init.error().describe();
              DynamoDbOptions options;
              options.client = std::move(client);
              options.table = table;
              options.clock = std::move(clock);
              auto store = open_dynamodb_store(options);
              EXPECT_TRUE(store.ok()) << store.error().describe();
              return store ? std::move(*store) : std::unique_ptr<Store>();
            }};
  b.unavailable = [] { return Dynalite::get().unavailable(); };
  return b;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace ghscale::store::testing
