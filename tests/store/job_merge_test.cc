#include "store/job_merge.h"

#include <gtest/gtest.h>

#include "store_test_util.h"

namespace ghscale::store {
namespace {

using testing::make_event;

TEST(MergeJob, NewJobIsTheEvent) {
  JobEvent e = make_event("d1", 1, JobStatus::kWaiting);
  Job j = merge_job(nullptr, e);
  EXPECT_EQ(j.status, JobStatus::kWaiting);
  EXPECT_EQ(j.delivery_id, "d1");
}

TEST(MergeJob, ForwardEventOverwritesKnownFields) {
  Job queued = merge_job(nullptr, make_event("d1", 1, JobStatus::kQueued, {"linux"}, TimePoint{Duration{10}}));
  JobEvent started = make_event("d2", 1, JobStatus::kInProgress, {"linux", "x64"}, TimePoint{Duration{20}});
  started.runner_name = "r1";
  Job j = merge_job(&queued, started);
  EXPECT_EQ(j.status, JobStatus::kInProgress);
  EXPECT_EQ(j.labels, (LabelSet{"linux", "x64"}));
  EXPECT_EQ(j.runner_name, "r1");
  EXPECT_EQ(j.received_at, TimePoint{Duration{20}});
}

TEST(MergeJob, LateEventNeverMovesStatusBackOrTimeBack) {
  JobEvent done = make_event("d3", 1, JobStatus::kCompleted, {"linux"}, TimePoint{Duration{30}});
  done.conclusion = "success";
  Job completed = merge_job(nullptr, done);
  JobEvent late = make_event("d1", 1, JobStatus::kQueued, {"other"}, TimePoint{Duration{40}});
  late.runner_name = "r9";
  Job j = merge_job(&completed, late);
  EXPECT_EQ(j.status, JobStatus::kCompleted);
  EXPECT_EQ(j.action, "completed");
  EXPECT_EQ(j.delivery_id, "d3");
  EXPECT_EQ(j.labels, (LabelSet{"linux"}));
  EXPECT_EQ(j.runner_name, "r9");  // was unknown
  EXPECT_EQ(j.received_at, TimePoint{Duration{40}});
  // An earlier delivery time does not move received_at back either.
  JobEvent older = make_event("d0", 1, JobStatus::kWaiting, {}, TimePoint{Duration{5}});
  EXPECT_EQ(merge_job(&j, older).received_at, TimePoint{Duration{40}});
}

}  // namespace
}  // namespace ghscale::store
