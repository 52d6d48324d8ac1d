// `ghscale config check` as a user runs it: every example passes, every broken fixture
// prints exactly the documented lines and exits 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using testing::ghscale_binary;
using testing::run;
using testing::source_dir;

std::string fixture(const std::string& name) { return (source_dir() / "tests/config/fixtures" / name).string(); }

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

TEST(ConfigCheck, EveryExamplePasses) {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(source_dir() / "examples")) {
    if (entry.path().extension() != ".yaml") continue;
    ++seen;
    auto r = run({ghscale_binary().string(), "config", "check", entry.path().string()});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err;
    EXPECT_NE(r.out.find(": ok ("), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
  }
  EXPECT_GE(seen, 3);
}

struct Broken {
  std::string file;
  std::vector<std::string> lines;  // {F} stands for the file's path
};

class BrokenConfig : public ::testing::TestWithParam<Broken> {};

TEST_P(BrokenConfig, PrintsEveryErrorAndExits2) {
  const Broken& b = GetParam();
  std::string path = fixture(b.file);
  auto r = run({ghscale_binary().string(), "config", "check", path});
  std::string expected;
  for (const auto& l : b.lines) expected += replace_all(l, "{F}", path) + "\n";
  std::size_t n = b.lines.size();
  expected += path + ": " + std::to_string(n) + (n == 1 ? " error" : " errors") + "\n";
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, expected);
  EXPECT_EQ(r.out, "");
}

const char* const kDurationHint = " (use e.g. 250ms, 30s, 5m, 1h30m, or milliseconds)";

INSTANTIATE_TEST_SUITE_P(
    Fixtures, BrokenConfig,
    ::testing::Values(
        Broken{"typo_key.yaml", {"{F}:8:5: pools[0].max_runer: unknown key \"max_runer\"; did you mean \"max_runners\"?"}},
        Broken{"bad_duration.yaml",
               {std::string("{F}:8:19: pools[0].idle_timeout: invalid duration \"5 minutes\": no spaces allowed") +
                kDurationHint}},
        Broken{"literal_secret.yaml",
               {"{F}:4:7: webhook.secrets[1]: a literal secret is not allowed; use env:NAME, file:/path or "
                "ssm:/parameter/name"}},
        Broken{"min_greater_than_max.yaml",
               {"{F}:8:15: pools[0].min_idle: min_idle (5) is greater than max_runners (3)"}},
        Broken{"duplicate_pool.yaml",
               {"{F}:8:11: pools[1].name: duplicate pool name \"linux\" (first used by pools[0] at line 4)"}},
        Broken{"bad_syntax.yaml", {"{F}:3:6: YAML syntax error: end of sequence flow not found"}},
        Broken{"does_not_exist.yaml", {"{F}: cannot read file: No such file or directory"}},
        Broken{"wrong_type.yaml",
               {"{F}:4:9: server.port: expected an integer, got \"eighty\"",
                "{F}:7:13: pools[0].labels: expected a list, got \"linux\"",
                "{F}:10:16: pools[0].ephemeral: expected true or false, got \"maybe\""}},
        Broken{"overlapping_labels.yaml",
               {"{F}:9:13: pools[1].labels: same label set as pools[0]; every job would go to the first of them, "
                "so this pool would never be used"}},
        Broken{"scale_set_errors.yaml",
               {"{F}:1:1: webhook.secrets: is required: at least one webhook secret reference",
                "{F}:7:13: pools[0].demand: \"scale-set\" is not one of webhook, scale_set; did you mean \"scale_set\"?",
                "{F}:12:16: pools[1].scale_set: applies only with demand: scale_set",
                "{F}:18:16: pools[2].ephemeral: must be true with demand: scale_set (its runners take one job each)",
                "{F}:19:23: pools[2].scale_set.name: \"my set\" must be 1 to 100 letters, digits, -, _ or . (workflows "
                "name it in runs-on)"}},
        Broken{"many_errors.yaml",
               {"{F}:1:1: webhook.secrets: is required: at least one webhook secret reference",
                "{F}:2:3: server.prot: unknown key \"prot\"; did you mean \"port\"?",
                "{F}:6:7: github.auth.app: needs installation_id, or org or repo to discover the installation",
                "{F}:7:20: github.auth.app.private_key: cannot read file \"/nonexistent/ghscale-test-key.pem\": No "
                "such file or directory",
                "{F}:9:11: pools[0].name: \"Linux Pool\" must be lower-case letters, digits, - and _ (at most 63)",
                "{F}:11:12: pools[0].scope: needs exactly one of org, repo or enterprise",
                "{F}:12:15: pools[0].provider.instance_types: is required for aws_fleet",
                "{F}:12:54: pools[0].provider.instance_typs: unknown key \"instance_typs\"; did you mean "
                "\"instance_types\"?",
                std::string("{F}:13:15: pools[0].cooldown: invalid duration \"-5s\": must not be negative") +
                    kDurationHint,
                "{F}:15:10: reconcile.sweep: must be greater than 0",
                "{F}:17:10: logging.level: \"verbose\" is not one of debug, info, warn, error"}}),
    [](const ::testing::TestParamInfo<Broken>& param_info) {
      return param_info.param.file.substr(0, param_info.param.file.find('.'));
    });

TEST(ConfigCheck, QuietPrintsNothingOnSuccess) {
  auto r = run({ghscale_binary().string(), "config", "check", "--quiet",
                (source_dir() / "examples/ghscale.yaml").string()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

TEST(Cli, UsageErrorsExit2AndHelpExits0) {
  EXPECT_EQ(run({ghscale_binary().string()}).exit_code, 2);
  EXPECT_EQ(run({ghscale_binary().string(), "no-such-command"}).exit_code, 2);
  EXPECT_EQ(run({ghscale_binary().string(), "config", "check"}).exit_code, 2);
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"}, {"serve", "--help"}, {"config", "--help"},
                                        {"config", "check", "--help"}, {"version", "--help"}}) {
    args.insert(args.begin(), ghscale_binary().string());
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << args[1];
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << r.out;
  }
}

TEST(Cli, Version) {
  auto r = run({ghscale_binary().string(), "version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("ghscale ", 0), 0u) << r.out;
  auto j = run({ghscale_binary().string(), "version", "--json"});
  EXPECT_EQ(j.out.rfind("{\"version\":\"", 0), 0u) << j.out;
}

}  // namespace
}  // namespace ghscale
