#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

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
  ASSERT_TRUE(write_workload_csv(w, path).ok());
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
      {"0,self-hosted\n", "w.csv:1: expected 3 or 4 fields"},
      {"queued_at,labels,duration_s\n0,a,10\nsoon,a,10\n", "w.csv:3: queued_at is neither seconds nor an RFC 3339 time: 'soon'"},
      {"-5,a,10\n", "w.csv:1: queued_at must not be negative"},
      {"0,a,ten\n", "w.csv:1: duration_s is not a number: 'ten'"},
      {"0,a,0\n", "w.csv:1: duration_s must be greater than 0"},
      {"0, ,10\n", "w.csv:1: labels are empty"},
      {"0,a,10,acme\n", "w.csv:1: repo must be owner/name: 'acme'"},
      {"0,\"a,10\n", "w.csv:1: unterminated double quote"},
      {"0,a,10\n2024-05-01T10:00:00Z,a,10\n", "w.csv:2: queued_at mixes seconds and RFC 3339 times"},
      {"0,a,self-hosted,linux,10\n", "w.csv:1: expected 3 or 4 fields (queued_at,labels,duration_s[,repo]), found 5"},
  };
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

}  // namespace
}  // namespace ghscale::sandbox
