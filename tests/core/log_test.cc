#include "core/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/secret_set.h"

namespace ghscale {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Redact, RegisteredSecretsNeverAppear) {
  log::add_secret("hunter2-webhook-secret");
  EXPECT_EQ(log::redact("secret is hunter2-webhook-secret!"), "secret is [REDACTED]!");
}

// A JIT-config-like value: every one shares the same long base64 prefix, as real ones do.
std::string runner_secret(std::size_t i, std::size_t length = 96) {
  std::string s = "eyJydW5uZXIiOnsiaWQiOj";
  std::uint64_t x = i * 0x9E3779B97F4A7C15ULL + 12345;
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  while (s.size() < length) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s += kAlphabet[x % 64];
  }
  return s;
}

using SetClock = log::SecretSet::Clock;

std::string mask(const log::SecretSet& set, std::string_view text, SetClock::time_point now) {
  std::string out;
  std::size_t copied = 0;
  for (auto [b, e] : set.find(text, now)) {
    out.append(text.substr(copied, b - copied)).append("#");
    copied = e;
  }
  return out.append(text.substr(copied));
}

TEST(SecretSet, OldestRecentValuesAreEvictedLongLivedOnesStay) {
  log::SecretSet set({.long_lived = 2, .recent = 3});
  const auto now = SetClock::now();
  EXPECT_TRUE(set.add_long_lived("webhook-secret", now));
  EXPECT_TRUE(set.add_long_lived("ghp_configured_pat", now));
  // The budget is spent: a third "long-lived" value is kept as a recent one.
  EXPECT_FALSE(set.add_long_lived(runner_secret(0), now));
  for (std::size_t i = 1; i <= 3; ++i) set.add_ephemeral(runner_secret(i), std::chrono::hours(1), now);
  EXPECT_EQ(set.long_lived_count(), 2u);
  EXPECT_EQ(set.recent_count(), 3u);
  EXPECT_EQ(mask(set, "a " + runner_secret(0) + " b", now), "a " + runner_secret(0) + " b");  // evicted
  for (std::size_t i = 1; i <= 3; ++i) EXPECT_EQ(mask(set, "[" + runner_secret(i) + "]", now), "[#]") << i;
  EXPECT_EQ(mask(set, "webhook-secret and ghp_configured_pat", now), "# and #");
  // Registering a value again makes it the newest: runner 2 outlives runner 1 now.
  set.add_ephemeral(runner_secret(1), std::chrono::hours(1), now);
  set.add_ephemeral(runner_secret(4), std::chrono::hours(1), now);
  EXPECT_EQ(mask(set, runner_secret(2), now), runner_secret(2));
  EXPECT_EQ(mask(set, runner_secret(1), now), "#");
}

TEST(SecretSet, EphemeralValuesExpire) {
  log::SecretSet set({.long_lived = 4, .recent = 8});
  const auto t0 = SetClock::now();
  set.add_ephemeral("registration-token-AABBCC", std::chrono::minutes(60), t0);
  EXPECT_EQ(mask(set, "x registration-token-AABBCC", t0 + std::chrono::minutes(59)), "x #");
  EXPECT_EQ(mask(set, "x registration-token-AABBCC", t0 + std::chrono::minutes(60)), "x registration-token-AABBCC");
  // An expired value at the old end leaves on the next insertion.
  set.add_ephemeral("another-token-value", std::chrono::minutes(60), t0 + std::chrono::minutes(61));
  EXPECT_EQ(set.recent_count(), 1u);
  // A long-lived value never expires, even when also registered as ephemeral.
  set.add_long_lived("app-private-key-bytes", t0);
  set.add_ephemeral("app-private-key-bytes", std::chrono::seconds(1), t0);
  EXPECT_EQ(mask(set, "app-private-key-bytes", t0 + std::chrono::hours(24 * 365)), "#");
}

TEST(SecretSet, ContainingAndOverlappingValuesAreMaskedWhole) {
  log::SecretSet set({.long_lived = 8, .recent = 8});
  const auto now = SetClock::now();
  const std::string jit = runner_secret(7, 300);
  const std::string hand_over = "{\"jit\":\"" + jit + "\"}";  // the SSM value contains the JIT config
  set.add_ephemeral(jit, std::chrono::hours(1), now);
  set.add_ephemeral(hand_over, std::chrono::hours(1), now);
  EXPECT_EQ(mask(set, "put " + hand_over + " done", now), "put # done");
  set.add_long_lived("abcdefgh", now);
  set.add_long_lived("efghijkl", now);
  EXPECT_EQ(mask(set, "..abcdefghijkl..", now), "..#..");
  EXPECT_EQ(mask(set, "abcdefghabcdefgh", now), "##");
  EXPECT_EQ(mask(set, "abc", now), "abc");
  set.add_long_lived("abc", now);  // too short to be a secret
  EXPECT_EQ(mask(set, "abc", now), "abc");
}

// Resident memory in bytes, from /proc.
std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Nanoseconds per redact() of one ordinary log value: the best of several rounds, so a
// busy machine only ever makes it look slower, never faster.
double redact_ns(const std::string& line) {
  double best = 1e18;
  for (int round = 0; round < 7; ++round) {
    auto start = std::chrono::steady_clock::now();
    std::size_t sink = 0;
    for (int i = 0; i < 2000; ++i) sink += log::redact(line).size();
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(sink, line.size() * 2000);
    best = std::min(best, ns / 2000);
  }
  return best;
}

TEST(Redact, ThirtyThousandRunnerCredentialsStayBoundedAndCheap) {
  const std::string line =
      "reconcile: launched 3 instances in pool linux-x64 for jobs 81234, 81235 and 81236 of octo-org/widgets "
      "(spot, m7i.large, subnet-0a1b2c3d, reason: queued jobs without a runner)";
  const double before_ns = redact_ns(line);
  const std::size_t before_bytes = resident_bytes();

  // 30,000 JIT-config-sized values (3 KB, as the reconciler hands over), through the plain
  // add_secret the callers use today, built in one buffer so the test itself does not grow.
  std::string value = runner_secret(1000, 3000);
  std::string first_recent, last;
  for (std::size_t i = 0; i < 30000; ++i) {
    std::string tag = std::to_string(1000000 + i);
    std::copy(tag.begin(), tag.end(), value.begin() + 1500);
    log::add_secret(value);
    if (i == log::kMaxLongLivedSecrets + 10) first_recent = value;
    if (i == 29999) last = value;
  }
  const auto counts = log::secret_counts();
  EXPECT_LE(counts.long_lived, log::kMaxLongLivedSecrets);
  EXPECT_EQ(counts.recent, log::kMaxRecentSecrets);
  // The old list kept every value: about 90 MB here.
  EXPECT_LT(resident_bytes() - std::min(resident_bytes(), before_bytes), 16u << 20)
      << "before " << before_bytes << " after " << resident_bytes();

  EXPECT_EQ(log::redact("cfg=" + last + ";"), "cfg=[REDACTED];");
  EXPECT_EQ(log::redact(first_recent), first_recent);  // evicted long ago

  // The old list cost about 75 us per value at this count; a line must cost about what it
  // did with an empty set (a generous factor, and best-of-rounds timing).
  const double after_ns = redact_ns(line);
  std::printf("redact of a %zu-byte value: %.0f ns with an empty set, %.0f ns after 30,000 adds; resident +%zu KiB\n",
              line.size(), before_ns, after_ns, (resident_bytes() - std::min(resident_bytes(), before_bytes)) >> 10);
  EXPECT_LT(after_ns, 5 * before_ns + 2000) << "before " << before_ns << " ns, after " << after_ns << " ns";
}

TEST(Redact, EphemeralSecretsAreMaskedWhilePresent) {
  const std::string token = "AABF3JGZDX3P5PMEXLND6TS6FCWO6";
  log::add_ephemeral_secret(token, std::chrono::hours(1));
  EXPECT_EQ(log::redact("--token " + token), "--token [REDACTED]");
  const std::string gone = "AABF3JGZDX3P5PMEXLND6TS6FCWOX";
  log::add_ephemeral_secret(gone, std::chrono::milliseconds(0));
  EXPECT_EQ(log::redact("t=" + gone), "t=" + gone);
}

TEST(Redact, WellKnownTokenShapes) {
  EXPECT_EQ(log::redact("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok"), "token [REDACTED] ok");
  EXPECT_EQ(log::redact("pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"), "pat [REDACTED]");
  EXPECT_EQ(log::redact("Authorization: Bearer eyJhbGciOi.payload.sig"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(log::redact("ghs_short"), "ghs_short");  // too short to be a token
  std::string pem = "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY----- end";
  EXPECT_EQ(log::redact(pem), "key: [REDACTED] end");
  EXPECT_EQ(log::redact("-----BEGIN CERTIFICATE-----"), "-----BEGIN CERTIFICATE-----");
}

TEST(Log, JsonLinesWithRedactedFields) {
  auto path = (std::filesystem::temp_directory_path() / ("ghscale-log-test-" + std::to_string(::getpid()))).string();
  log::init(log::Format::kJson, log::Level::kInfo, path);
  log::add_secret("s3cr3t-value");
  log::debug("hidden");
  log::info("hello \"world\"", {{"pool", "linux"}, {"count", 3}, {"token", "s3cr3t-value"}, {"ok", true}});
  std::string out = slurp(path);
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_NE(out.find(R"("level":"info","msg":"hello \"world\"","pool":"linux","count":3,"token":"[REDACTED]","ok":true})"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("s3cr3t-value"), std::string::npos);
  log::init(log::Format::kText, log::Level::kDebug, path + ".txt");
  log::debug("plain", {{"k", "v"}});
  std::string text = slurp(path + ".txt");
  EXPECT_NE(text.find(" debug plain k=v"), std::string::npos) << text;
  log::init(log::Format::kJson, log::Level::kInfo);
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".txt");
}

}  // namespace
}  // namespace ghscale
