#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "sandbox/workload.h"

namespace ghscale::sandbox {
namespace {

using namespace std::chrono_literals;

TEST(Synthetic, SameSeedSameWorkload) {
  SyntheticOptions o;
  o.length = 2h;
  const Workload a = generate_synthetic(o);
  const Workload b = generate_synthetic(o);
  EXPECT_EQ(format_workload_csv(a), format_workload_csv(b));
  o.seed = 43;
  EXPECT_NE(format_workload_csv(a), format_workload_csv(generate_synthetic(o)));
}

TEST(Synthetic, DayHasTheExpectedShape) {
  SyntheticOptions o;  // a day, 24,000 jobs expected
  const Workload w = generate_synthetic(o);
  EXPECT_GT(w.jobs.size(), 21000u);
  EXPECT_LT(w.jobs.size(), 27000u);
  EXPECT_TRUE(std::is_sorted(w.jobs.begin(), w.jobs.end(), [](const auto& a, const auto& b) { return a.queued_at < b.queued_at; }));
  std::vector<Duration> d;
  for (const auto& j : w.jobs) d.push_back(j.duration);
  std::sort(d.begin(), d.end());
  const double median = std::chrono::duration<double>(d[d.size() / 2]).count();
  EXPECT_NEAR(median, 300.0, 20.0);
  EXPECT_GT(d[d.size() * 99 / 100], 5 * d[d.size() / 2]);  // a long tail
  // The daily cycle: the busiest hour has several times the jobs of the quietest.
  std::vector<int> per_hour(24);
  for (const auto& j : w.jobs) ++per_hour[static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::hours>(j.queued_at).count())];
  EXPECT_GT(*std::max_element(per_hour.begin(), per_hour.end()), 3 * *std::min_element(per_hour.begin(), per_hour.end()));
}

TEST(WorkloadCsv, RoundTrips) {
  SyntheticOptions o;
  o.length = 1h;
  const Workload w = generate_synthetic(o);
  const std::string text = format_workload_csv(w);
  auto back = parse_workload_csv(text, "w.csv");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->jobs.size(), w.jobs.size());
  for (std::size_t i = 0; i < w.jobs.size(); ++i) {
    EXPECT_EQ(back->jobs[i].queued_at, w.jobs[i].queued_at);
    EXPECT_EQ(back->jobs[i].labels, w.jobs[i].labels);
    EXPECT_EQ(back->jobs[i].duration, w.jobs[i].duration);
    EXPECT_EQ(back->jobs[i].repo, w.jobs[i].repo);
  }
  EXPECT_EQ(format_workload_csv(*back), text);
}

TEST(WorkloadCsv, FileRoundTrip) {
  const auto path = (std::filesystem::temp_directory_path() / ("ghscale-wl-" + std::to_string(::getpid()) + ".csv")).string();
  Workload w;
  w.jobs.push_back({1500ms, LabelSet{"self-hosted", "linux"}, 90s, "acme/app"});
  std::ofstream(path, std::ios::binary) << format_workload_csv(w);
  auto back = read_workload_csv(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->jobs.size(), 1u);
  EXPECT_EQ(back->jobs[0].queued_at, 1500ms);
  EXPECT_EQ(back->jobs[0].duration, 90s);
}

TEST(WorkloadCsv, AcceptsTimestampsQuotesCommentsAndNoRepo) {
  const char* text =
      "# exported\n"
      "queued_at,labels,duration_s,repo\n"
      "2024-05-01T10:00:30Z,\"self-hosted,linux\",60\n"
      "\n"
      "2024-05-01T10:00:00Z,self-hosted;gpu,120.5,acme/ml\n";
  auto w = parse_workload_csv(text, "h.csv");
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_EQ(w->jobs.size(), 2u);
  EXPECT_EQ(w->jobs[0].queued_at, 0ms);
  EXPECT_EQ(w->jobs[0].labels, (LabelSet{"self-hosted", "gpu"}));
  EXPECT_EQ(w->jobs[0].duration, 120500ms);
  EXPECT_EQ(w->jobs[0].repo, "acme/ml");
  EXPECT_EQ(w->jobs[1].queued_at, 30s);
  EXPECT_EQ(w->jobs[1].labels, (LabelSet{"self-hosted", "linux"}));
  EXPECT_EQ(w->jobs[1].repo, "acme/app");
}

TEST(WorkloadCsv, BadLinesNameFileAndLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"0,self-hosted\n", "w.csv:1: expected 3 to 7 fields"},
      {"queued_at,labels,duration_s\n0,a,10\nsoon,a,10\n", "w.csv:3: queued_at is neither seconds nor an RFC 3339 time: 'soon'"},
      {"-5,a,10\n", "w.csv:1: queued_at must not be negative"},
      {"0,a,ten\n", "w.csv:1: duration_s is not a number: 'ten'"},
      {"0,a,0\n", "w.csv:1: duration_s must be greater than 0"},
      // Past a leap year of virtual time (what --hours allows), and past what milliseconds hold.
      {"31622401,a,10\n", "w.csv:1: queued_at must be at most 366 days (31622400 s): '31622401'"},
      {"0,a,1e308\n", "w.csv:1: duration_s must be at most 366 days (31622400 s): '1e308'"},
      {"0,a,inf\n", "w.csv:1: duration_s is not a number: 'inf'"},
      {"2024-05-01T10:00:00Z,a,10\n2025-05-03T10:00:00Z,a,10\n", "w.csv:2: queued_at is more than 366 days after the workload's first job"},
      {"0, ,10\n", "w.csv:1: labels are empty"},
      {"0,a,10,acme\n", "w.csv:1: repo must be owner/name: 'acme'"},
      {"0,\"a,10\n", "w.csv:1: unterminated double quote"},
      {"0,a,10\n2024-05-01T10:00:00Z,a,10\n", "w.csv:2: queued_at mixes seconds and RFC 3339 times"},
      {"0,a,self-hosted,linux,10\n", "w.csv:1: duration_s is not a number: 'self-hosted'"},
      {"0,a,10,acme/app,1,build,,x\n", "w.csv:1: expected 3 to 7 fields (queued_at,labels,duration_s[,repo[,run,job,needs]]), found 8"},
      {"0,a,10,acme/app,one,build\n", "w.csv:1: run must be a whole number >= 0: 'one'"},
      {"0,a,10,acme/app,-1,build\n", "w.csv:1: run must be a whole number >= 0: '-1'"},
      {"0,a,10,acme/app,,test,build\n", "w.csv:1: needs names jobs of its run, but the job has no run"},
      {"0,a,10,acme/app,1,a;b\n", "w.csv:1: job must not contain ';'"},
      {"0,a,10,acme/app,1,build\n0,a,10,acme/app,1,build\n", "w.csv:2: run 1 has two jobs named 'build'"},
      {"0,a,10,acme/app,1,build\n0,a,10,acme/api,1,test,build\n", "w.csv:2: run 1 is of acme/app (line 1), not acme/api"},
      {"# c\n0,a,10,acme/app,1,build\n0,a,10,acme/app,1,test,biuld\n", "w.csv:3: needs 'biuld', but run 1 has no job of that name"},
      {"0,a,10,acme/app,1,build\n0,a,10,acme/app,2,test,build\n", "w.csv:2: needs 'build', but run 2 has no job"},
      {"0,a,10,acme/app,1,x,y\n0,a,10,acme/app,1,y,x\n", "w.csv:2: its needs form a cycle"},
      {"0,a,10,acme/app,1,x,x\n", "w.csv:1: needs itself"},
  };
  // A byte order mark (as spreadsheets write) is not part of the header.
  auto bom = parse_workload_csv("\xEF\xBB\xBFqueued_at,labels,duration_s\n0,a,10\n", "w.csv");
  ASSERT_TRUE(bom.ok()) << bom.error().message;
  EXPECT_EQ(bom->jobs.size(), 1u);
  for (const char* nothing : {"", "queued_at,labels,duration_s\n", "# only a comment\n\n"}) {
    auto none = parse_workload_csv(nothing, "w.csv");
    ASSERT_FALSE(none.ok()) << nothing;
    EXPECT_EQ(none.error().message, "w.csv: no jobs in the workload (only a header, comments or blank lines)");
  }
  // The bounds themselves are allowed.
  auto year = parse_workload_csv("0,a,31622400\n31622400,a,10\n", "w.csv");
  ASSERT_TRUE(year.ok()) << year.error().message;
  EXPECT_EQ(year->jobs.back().queued_at, std::chrono::seconds(31622400));
  auto leap = parse_workload_csv("2024-05-01T10:00:00Z,a,10\n2025-05-02T10:00:00Z,a,10\n", "w.csv");
  ASSERT_TRUE(leap.ok()) << leap.error().message;
  for (const Case& c : cases) {
    auto w = parse_workload_csv(c.text, "w.csv");
    ASSERT_FALSE(w.ok()) << c.text;
    EXPECT_EQ(w.error().kind, ErrorKind::kInvalid);
    EXPECT_EQ(w.error().message.rfind(c.expected, 0), 0u) << w.error().message;
  }
  auto missing = read_workload_csv("/nonexistent/w.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/w.csv"), std::string::npos);
}

TEST(Synthetic, DagRunsFanOutThroughNeeds) {
  SyntheticOptions o;
  o.shape = WorkloadShape::kDag;
  o.jobs_per_day = 5000;  // over a whole day: the daily cycle averages out
  const Workload w = generate_synthetic(o);
  EXPECT_EQ(format_workload_csv(w), format_workload_csv(generate_synthetic(o)));  // seeded
  o.seed = 43;
  EXPECT_NE(format_workload_csv(w), format_workload_csv(generate_synthetic(o)));
  // About 5,000 jobs in runs of 1 build, 3..20 tests, 0..1 deploy.
  EXPECT_GT(w.jobs.size(), 4000u);
  EXPECT_LT(w.jobs.size(), 6000u);
  EXPECT_TRUE(std::is_sorted(w.jobs.begin(), w.jobs.end(), [](const auto& a, const auto& b) { return a.queued_at < b.queued_at; }));
  struct Run {
    std::vector<std::size_t> builds, tests, deploys;
  };
  std::map<std::int64_t, Run> runs;
  for (std::size_t i = 0; i < w.jobs.size(); ++i) {
    const WorkloadJob& j = w.jobs[i];
    ASSERT_GT(j.run, 0);
    for (std::size_t d : j.needs) {
      ASSERT_LT(d, i);  // needs come first
      EXPECT_EQ(w.jobs[d].run, j.run);
      EXPECT_EQ(w.jobs[d].queued_at, j.queued_at);  // every job of a run may start with it
      EXPECT_EQ(w.jobs[d].repo, j.repo);
      EXPECT_EQ(w.jobs[d].labels, j.labels);
    }
    Run& r = runs[j.run];
    if (j.needs.empty()) {
      r.builds.push_back(i);
    } else if (j.needs.size() == 1 && w.jobs[j.needs[0]].needs.empty()) {
      r.tests.push_back(i);
    } else {
      r.deploys.push_back(i);
    }
  }
  int deploys = 0;
  std::size_t fewest = 100, most = 0;
  for (const auto& [run, r] : runs) {
    ASSERT_EQ(r.builds.size(), 1u) << "run " << run;
    EXPECT_GE(r.tests.size(), 3u);
    EXPECT_LE(r.tests.size(), 20u);
    fewest = std::min(fewest, r.tests.size());
    most = std::max(most, r.tests.size());
    for (std::size_t t : r.tests) EXPECT_EQ(w.jobs[t].needs, std::vector<std::size_t>{r.builds[0]});
    ASSERT_LE(r.deploys.size(), 1u);
    if (!r.deploys.empty()) {
      ++deploys;
      EXPECT_EQ(w.jobs[r.deploys[0]].needs, r.tests);  // the deploy needs every test
    }
  }
  EXPECT_EQ(fewest, 3u);
  EXPECT_EQ(most, 20u);
  const double share = static_cast<double>(deploys) / static_cast<double>(runs.size());
  EXPECT_NEAR(share, 0.5, 0.1);
  EXPECT_EQ(runs.rbegin()->first, static_cast<std::int64_t>(runs.size()));  // runs numbered 1..N
}

TEST(WorkloadCsv, RunsAndNeedsRoundTrip) {
  SyntheticOptions o;
  o.shape = WorkloadShape::kDag;
  o.length = 1h;
  Workload w = generate_synthetic(o);
  w.jobs.push_back({o.length, LabelSet{"self-hosted"}, 30s, "acme/app"});  // a job of no run
  const std::string text = format_workload_csv(w);
  EXPECT_EQ(text.rfind("queued_at,labels,duration_s,repo,run,job,needs\n", 0), 0u);
  auto back = parse_workload_csv(text, "dag.csv");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->jobs.size(), w.jobs.size());
  for (std::size_t i = 0; i < w.jobs.size(); ++i) {
    EXPECT_EQ(back->jobs[i].queued_at, w.jobs[i].queued_at);
    EXPECT_EQ(back->jobs[i].duration, w.jobs[i].duration);
    EXPECT_EQ(back->jobs[i].run, w.jobs[i].run);
    EXPECT_EQ(back->jobs[i].needs, w.jobs[i].needs);
  }
  EXPECT_EQ(format_workload_csv(*back), text);
}

TEST(WorkloadCsv, NeedsByNameInAnyOrder) {
  // The deploy comes first in the file and at 0 s; the tests name the build, given last.
  const char* text =
      "queued_at,labels,duration_s,repo,run,job,needs\n"
      "0,self-hosted,30,acme/app,7,deploy,test-a;test-b\n"
      "5,self-hosted,60,acme/app,7,test-a,build\n"
      "5,self-hosted,60,acme/app,7,test-b, build \n"
      "5,self-hosted,120,acme/app,,,\n"
      "10,self-hosted,90,acme/app,7,build\n";
  auto w = parse_workload_csv(text, "h.csv");
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_EQ(w->jobs.size(), 5u);
  // Order: the job of no run (5 s), then build, tests and deploy, all raised to 10 s.
  EXPECT_EQ(w->jobs[0].run, 0);
  EXPECT_EQ(w->jobs[0].queued_at, 5s);
  EXPECT_EQ(w->jobs[1].duration, 90s);
  EXPECT_TRUE(w->jobs[1].needs.empty());
  EXPECT_EQ(w->jobs[2].needs, std::vector<std::size_t>{1});
  EXPECT_EQ(w->jobs[3].needs, std::vector<std::size_t>{1});
  EXPECT_EQ(w->jobs[4].needs, (std::vector<std::size_t>{2, 3}));
  for (std::size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(w->jobs[i].run, 7);
    EXPECT_EQ(w->jobs[i].queued_at, 10s);
  }
  // Old 4-column output stays when no job has a run.
  Workload plain;
  plain.jobs.push_back({0s, LabelSet{"self-hosted"}, 10s, "acme/app"});
  EXPECT_EQ(format_workload_csv(plain), "queued_at,labels,duration_s,repo\n0,self-hosted,10,acme/app\n");
}

TEST(WorkloadOrder, RejectsBadNeeds) {
  Workload w;
  w.jobs.push_back({0s, LabelSet{"a"}, 10s, "acme/app", 1});
  w.jobs.push_back({0s, LabelSet{"a"}, 10s, "acme/app", 2, {0}});
  std::size_t culprit = 99;
  auto st = order_workload(w, &culprit);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(st.error().message, "job 1: needs job 0 of another run");
  EXPECT_EQ(culprit, 1u);
  w.jobs[1].needs = {5};
  EXPECT_FALSE(order_workload(w).ok());
}

}  // namespace
}  // namespace ghscale::sandbox
