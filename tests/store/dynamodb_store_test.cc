// What only the DynamoDB backend has: the original system's items, the table checks at
// open and `store init`, repair of listing entries a crash left behind, and several
// processes' worth of clients racing for one lease. Against dynalite on loopback.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <boost/json.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "dynalite.h"
#include "store/dynamodb/dynamodb_store.h"
#include "store_test_util.h"

namespace ghscale::store {
namespace {

namespace json = boost::json;
using testing::Dynalite;
using testing::make_event;
using namespace std::chrono_literals;

json::object key(std::string_view pk, std::string_view sk) {
  return json::object{{"PK", json::object{{"S", pk}}}, {"SK", json::object{{"S", sk}}}};
}

class DynamoDbStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string& why = Dynalite::get().unavailable(); !why.empty()) GTEST_SKIP() << why;
    client_ = Dynalite::get().client();
    table_ = Dynalite::table_for(dir_.path().string());
    clock_ = std::make_shared<ManualClock>();
  }

  std::unique_ptr<Store> open() {
    auto init = ensure_dynamodb_table(*client_, table_);
    EXPECT_TRUE(init.ok()) << init.error().describe();
    auto store = open_dynamodb_store({.client = client_, .table = table_, .clock = clock_});
    EXPECT_TRUE(store.ok()) << store.error().describe();
    return store ? std::move(*store) : nullptr;
  }

  std::optional<json::object> raw(std::string_view pk, std::string_view sk) {
    auto item = client_->get_item(table_, key(pk, sk));
    EXPECT_TRUE(item.ok()) << item.error().describe();
    return item.ok() ? *item : std::nullopt;
  }

  testing::TempDir dir_;
  std::shared_ptr<aws::DynamoDbClient> client_;
  std::string table_;
  std::shared_ptr<ManualClock> clock_;
};

TEST_F(DynamoDbStoreTest, CooldownIsTheOriginalsSettingsCooldownItem) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->set_setting("settings_cooldown", "60000").ok());
  auto item = raw("settings_cooldown", "settings_cooldown");
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->at("value"), (json::object{{"S", "60000"}})) << json::serialize(*item);

  // An item the original (or a template) wrote, as a number and under its own SK: read,
  // and updated in place with its type kept.
  ASSERT_TRUE(client_->delete_item(table_, key("settings_cooldown", "settings_cooldown")).ok());
  json::object original = key("settings_cooldown", "0");
  original["value"] = json::object{{"N", "45000"}};
  original["note"] = json::object{{"S", "kept"}};
  ASSERT_TRUE(client_->put_item(table_, original).ok());
  EXPECT_EQ(**store->get_setting("settings_cooldown"), "45000");
  ASSERT_TRUE(store->set_setting("settings_cooldown", "1000").ok());
  item = raw("settings_cooldown", "0");
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->at("value"), (json::object{{"N", "1000"}}));
  EXPECT_EQ(item->at("note"), (json::object{{"S", "kept"}}));
  EXPECT_FALSE(raw("settings_cooldown", "settings_cooldown").has_value());
  EXPECT_EQ(**store->get_setting("settings_cooldown"), "1000");

  // Other settings live under ghscale's own prefix.
  ASSERT_TRUE(store->set_setting("paused", "true").ok());
  EXPECT_TRUE(raw("setting#paused", "setting").has_value());
}

TEST_F(DynamoDbStoreTest, ScaleActionsUpdateTheOriginalsActivityScalingItems) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  const TimePoint t = clock_->now();
  Action out{0, t, "linux", ActionKind::kScaleOut, 2, "2 queued", "ok"};
  ASSERT_TRUE(store->append_action(out).ok());
  auto item = raw("activity_scaling", "scale_out");
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->at("timestamp"), (json::object{{"N", std::to_string(to_unix_ms(t))}})) << json::serialize(*item);
  EXPECT_FALSE(raw("activity_scaling", "scale_in").has_value());

  // An older action (clock skew between daemons) does not move it back; a newer one does.
  out.at = t - Duration(5000);
  ASSERT_TRUE(store->append_action(out).ok());
  EXPECT_EQ(raw("activity_scaling", "scale_out")->at("timestamp").at("N").as_string(), std::to_string(to_unix_ms(t)));
  Action in{0, t + Duration(10), "linux", ActionKind::kScaleIn, 1, "idle", "ok"};
  ASSERT_TRUE(store->append_action(in).ok());
  EXPECT_EQ(raw("activity_scaling", "scale_in")->at("timestamp").at("N").as_string(),
            std::to_string(to_unix_ms(t + Duration(10))));

  // Other kinds leave them alone.
  ASSERT_TRUE(store->append_action({0, t + Duration(99), "linux", ActionKind::kTerminate, 1, "", "ok"}).ok());
  EXPECT_EQ(raw("activity_scaling", "scale_out")->at("timestamp").at("N").as_string(), std::to_string(to_unix_ms(t)));

  // A timestamp the original wrote as a string is read, and replaced by a newer one.
  json::object legacy = key("activity_scaling", "scale_out");
  legacy["timestamp"] = json::object{{"S", std::to_string(to_unix_ms(t) + 1)}};
  ASSERT_TRUE(client_->put_item(table_, legacy).ok());
  out.at = t + Duration(500);
  ASSERT_TRUE(store->append_action(out).ok());
  EXPECT_EQ(raw("activity_scaling", "scale_out")->at("timestamp"),
            (json::object{{"N", std::to_string(to_unix_ms(t + Duration(500)))}}));
}

TEST_F(DynamoDbStoreTest, MissingTableIsAClearErrorAndCreatesNothing) {
  auto store = open_dynamodb_store({.client = client_, .table = table_, .clock = clock_});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(store.error().message.find("'" + table_ + "'"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("ghscale store init"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("deploy/aws"), std::string::npos) << store.error().message;
  EXPECT_EQ(client_->describe_table(table_).error().kind, ErrorKind::kNotFound);
  auto unnamed = open_dynamodb_store({.client = client_, .table = ""});
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(unnamed.error().kind, ErrorKind::kInvalid);
}

TEST_F(DynamoDbStoreTest, WrongKeySchemaIsRefusedByOpenAndInit) {
  ASSERT_TRUE(client_->create_table({.name = table_, .partition_key = "id", .sort_key = ""}).ok());
  for (int i = 0; i < 200 && client_->describe_table(table_)->status != "ACTIVE"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  json::object row{{"id", json::object{{"S", "x"}}}};
  ASSERT_TRUE(client_->put_item(table_, row).ok());
  auto store = open_dynamodb_store({.client = client_, .table = table_, .clock = clock_});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(store.error().message.find("'" + table_ + "'"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("id (HASH, S)"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("PK"), std::string::npos) << store.error().message;
  auto init = ensure_dynamodb_table(*client_, table_);
  ASSERT_FALSE(init.ok());
  EXPECT_EQ(init.error().kind, ErrorKind::kInvalid);
  // Untouched: the row is still there, and the keys are still id only.
  auto kept = client_->get_item(table_, row);
  ASSERT_TRUE(kept.ok()) << kept.error().describe();
  EXPECT_TRUE(kept->has_value());
  EXPECT_EQ(client_->describe_table(table_)->key_names, (std::vector<std::string>{"id"}));
}

TEST_F(DynamoDbStoreTest, StoreInitCreatesOnceAndIsIdempotent) {
  auto first = ensure_dynamodb_table(*client_, table_);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(*first, TableInit::kCreated);
  auto again = ensure_dynamodb_table(*client_, table_);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(*again, TableInit::kAlreadyThere);
  auto table = client_->describe_table(table_);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->key_names, (std::vector<std::string>{"PK", "SK"}));
  EXPECT_EQ(table->status, "ACTIVE");
}

TEST_F(DynamoDbStoreTest, ItemsUseTheDocumentedKeys) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->record(make_event("d-1", 42, JobStatus::kQueued)).ok());
  EXPECT_TRUE(raw("job#42", "job").has_value());
  EXPECT_EQ(raw("delivery#d-1", "delivery")->at("job_id").at("N").as_string(), "42");
  EXPECT_TRUE(raw("jobs#queued", "00000000000000000042").has_value());
  ASSERT_TRUE(store->record(make_event("d-2", 42, JobStatus::kInProgress)).ok());
  EXPECT_FALSE(raw("jobs#queued", "00000000000000000042").has_value());
  EXPECT_TRUE(raw("jobs#in_progress", "00000000000000000042").has_value());
  EXPECT_EQ(raw("job#42", "job")->at("status_rank").at("N").as_string(), "2");
  ASSERT_TRUE(store->acquire_lease("scaler", "a", Duration(1000), clock_->now()).ok());
  EXPECT_EQ(raw("lease#scaler", "lease")->at("holder").at("S").as_string(), "a");
  Instance i;
  i.instance_id = "i-1";
  i.pool = "linux";
  ASSERT_TRUE(store->upsert_instance(i).ok());
  EXPECT_TRUE(raw("instances", "i-1").has_value());
}

TEST_F(DynamoDbStoreTest, StaleAndMissingListingEntriesAreRepaired) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  // A crash between the job write and the listing upkeep leaves the job completed but
  // still listed as queued: readers skip the stale entry and delete it.
  ASSERT_TRUE(store->record(make_event("a1", 7, JobStatus::kQueued)).ok());
  ASSERT_TRUE(store->record(make_event("a2", 7, JobStatus::kCompleted)).ok());
  json::object stale = key("jobs#queued", "00000000000000000007");
  stale["job_id"] = json::object{{"N", "7"}};
  ASSERT_TRUE(client_->put_item(table_, stale).ok());
  EXPECT_TRUE(store->queued_jobs(std::nullopt, 10)->empty());
  EXPECT_FALSE(raw("jobs#queued", "00000000000000000007").has_value());

  // A crash before the entry was written: GitHub redelivers (the delivery was never
  // acknowledged), and the duplicate puts the entry back.
  ASSERT_TRUE(store->record(make_event("b1", 8, JobStatus::kQueued)).ok());
  ASSERT_TRUE(client_->delete_item(table_, key("jobs#queued", "00000000000000000008")).ok());
  EXPECT_TRUE(store->queued_jobs(std::nullopt, 10)->empty());
  EXPECT_EQ(*store->record(make_event("b1", 8, JobStatus::kQueued)), RecordOutcome::kDuplicate);
  auto queued = store->queued_jobs(std::nullopt, 10);
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ(queued->front().job_id, 8);

  // A crash after the delivery marker but before the job write: the redelivery applies it.
  json::object marker = key("delivery#c1", "delivery");
  marker["job_id"] = json::object{{"N", "9"}};
  ASSERT_TRUE(client_->put_item(table_, marker).ok());
  EXPECT_EQ(*store->record(make_event("c1", 9, JobStatus::kQueued)), RecordOutcome::kRecorded);
  EXPECT_EQ(store->get_job(9)->status, JobStatus::kQueued);
}

// Deliveries recorded without holding the caller: several senders at once, each job's
// queued/in_progress/completed plus redeliveries, some twice in flight together. Every
// done is called once; the end state is what one-at-a-time recording gives.
TEST_F(DynamoDbStoreTest, AsynchronousRecordingLosesNothingAndCountsDuplicatesOnce) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->records_asynchronously());
  constexpr int kJobs = 40;
  std::vector<JobEvent> events;
  for (int job = 1; job <= kJobs; ++job) {
    const std::string id = std::to_string(job);
    events.push_back(make_event("q" + id, job, JobStatus::kQueued));
    JobEvent started = make_event("s" + id, job, JobStatus::kInProgress);
    started.runner_name = "runner-" + id;
    events.push_back(started);
    events.push_back(make_event("c" + id, job, JobStatus::kCompleted));
    events.push_back(make_event("q" + id, job, JobStatus::kQueued));  // GitHub's redelivery
  }
  std::mutex mu;
  std::map<std::string, std::vector<RecordOutcome>> outcomes;
  std::atomic<int> calls{0}, errors{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < events.size(); i += 4) {
        store->record_async(events[i], [&, id = events[i].delivery_id](Result<RecordOutcome> r) {
          ++calls;
          if (!r.ok()) {
            ++errors;
            ADD_FAILURE() << id << ": " << r.error().describe();
            return;
          }
          std::lock_guard lock(mu);
          outcomes[id].push_back(*r);
        });
      }
    });
  }
  for (auto& s : senders) s.join();
  for (int i = 0; i < 1000 && calls.load() < static_cast<int>(events.size()); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(calls.load(), static_cast<int>(events.size()));
  EXPECT_EQ(errors.load(), 0);
  for (int job = 1; job <= kJobs; ++job) {
    const std::string id = std::to_string(job);
    auto twice = outcomes["q" + id];
    ASSERT_EQ(twice.size(), 2u) << id;
    EXPECT_EQ(std::count(twice.begin(), twice.end(), RecordOutcome::kRecorded), 1) << id;
    EXPECT_EQ(std::count(twice.begin(), twice.end(), RecordOutcome::kDuplicate), 1) << id;
    EXPECT_EQ(outcomes["s" + id], std::vector<RecordOutcome>{RecordOutcome::kRecorded}) << id;
    auto job_now = store->get_job(job);
    ASSERT_TRUE(job_now.ok()) << job_now.error().describe();
    EXPECT_EQ(job_now->status, JobStatus::kCompleted) << id;
    EXPECT_EQ(job_now->runner_name, "runner-" + id);
  }
  EXPECT_EQ(store->job_counts()->completed, kJobs);
  EXPECT_TRUE(store->queued_jobs(std::nullopt, 100)->empty());
  EXPECT_TRUE(store->list_jobs({JobStatus::kInProgress, 100})->empty());

  // Closed: what comes after is refused at once, not left waiting.
  ASSERT_TRUE(store->close().ok());
  const JobEvent late = make_event("late", 999, JobStatus::kQueued);
  bool refused = false;
  store->record_async(late, [&](Result<RecordOutcome> r) { refused = !r.ok(); });
  EXPECT_TRUE(refused);
}

TEST_F(DynamoDbStoreTest, QueuedJobsPagesPastNonMatchingJobs) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= 60; ++i) {
    LabelSet labels = i % 20 == 0 ? LabelSet{"gpu"} : LabelSet{"linux"};
    ASSERT_TRUE(store->record(make_event("q" + std::to_string(i), i, JobStatus::kQueued, labels)).ok());
  }
  auto gpu = store->queued_jobs(LabelSet{"gpu"}, 2);
  ASSERT_TRUE(gpu.ok()) << gpu.error().describe();
  ASSERT_EQ(gpu->size(), 2u);
  EXPECT_EQ((*gpu)[0].job_id, 20);
  EXPECT_EQ((*gpu)[1].job_id, 40);
  EXPECT_EQ(store->queued_jobs(std::nullopt, 1000)->size(), 60u);
  EXPECT_EQ(store->job_counts()->queued, 60);
  EXPECT_EQ(store->list_jobs({JobStatus::kQueued, 5})->front().job_id, 60);
}

// Several daemons (each its own store and client) and threads in each race for one lease
// on real time; holds never overlap and tokens grow with every change of hands.
TEST_F(DynamoDbStoreTest, DaemonsRacingForOneLeaseNeverOverlap) {
  ASSERT_TRUE(ensure_dynamodb_table(*client_, table_).ok());
  constexpr int kDaemons = 3;
  constexpr int kThreadsEach = 2;
  std::vector<std::unique_ptr<Store>> daemons;
  for (int d = 0; d < kDaemons; ++d) {
    auto s = open_dynamodb_store({.client = Dynalite::get().client(), .table = table_, .clock = clock_});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    daemons.push_back(std::move(*s));
  }
  auto clock = system_clock();
  const Duration ttl(40);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  struct Hold {
    std::int64_t start_ms, end_ms, token;
  };
  std::mutex mu;
  std::vector<Hold> holds;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int d = 0; d < kDaemons; ++d) {
    for (int t = 0; t < kThreadsEach; ++t) {
      threads.emplace_back([&, d, t] {
        Store& store = *daemons[static_cast<std::size_t>(d)];
        int round = 0;
        std::string me = "d" + std::to_string(d) + "-t" + std::to_string(t);
        while (std::chrono::steady_clock::now() < until) {
          auto lease = store.acquire_lease("scaler", me, ttl, clock->now());
          if (!lease.ok()) {
            if (lease.error().kind != ErrorKind::kConflict) ++errors;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            continue;
          }
          const std::int64_t start = to_unix_ms(clock->now());
          std::this_thread::sleep_for(std::chrono::milliseconds(3));
          std::int64_t end = std::min(to_unix_ms(clock->now()), to_unix_ms(lease->expires_at));
          if (++round % 3 != 0) {
            (void)store.release_lease("scaler", me, clock->now());
          } else {
            end = to_unix_ms(lease->expires_at);  // abandoned, like a crashed daemon
            me += "-r" + std::to_string(round);
          }
          std::lock_guard lock(mu);
          holds.push_back({start, end, lease->token});
        }
      });
    }
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_GT(holds.size(), 5u);
  std::sort(holds.begin(), holds.end(), [](const Hold& a, const Hold& b) { return a.start_ms < b.start_ms; });
  std::int64_t latest_end = holds[0].end_ms;
  for (std::size_t i = 1; i < holds.size(); ++i) {
    EXPECT_LE(latest_end, holds[i].start_ms) << "hold " << i << " (token " << holds[i].token << ") overlaps";
    EXPECT_GT(holds[i].token, holds[i - 1].token);
    latest_end = std::max(latest_end, holds[i].end_ms);
  }
}

}  // namespace
}  // namespace ghscale::store
