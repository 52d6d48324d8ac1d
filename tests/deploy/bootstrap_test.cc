// deploy/runner/bootstrap.sh as an instance runs it: bash against the fake IMDS (IMDSv2,
// instance id, region, instance-role credentials), the fake AWS endpoint process for SSM
// (SigV4 verified, reached by the real AWS CLI with the credentials IMDS handed out), and
// a stub runner that records its arguments. The shutdown command is replaced by a line
// appended to the same event file the stub writes, so that the order is observable.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fakes/imds/fake_imds.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Subprocess;

constexpr const char* kInstanceId = "i-0123456789abcdef0";
constexpr const char* kParameter = "/ghscale/runners/i-0123456789abcdef0";
// What IMDS hands out as the instance role's credentials; the fake AWS endpoint accepts them.
constexpr const char* kRoleKeyId = "ASIAFAKEIMDSROLE";
constexpr const char* kRoleSecret = "imds/fake/role/secret";
constexpr const char* kRoleToken = "fake-imds-session-token";
// The secrets handed over; neither may reach the script's log or output.
constexpr const char* kJitConfig = "eyJqaXQiOiJmYWtlLWppdC1jb25maWctc2VjcmV0LTRmOWEifQ==";
// The one the scaler hands a busy instance for its next job (instance reuse).
constexpr const char* kNextJitConfig = "eyJqaXQiOiJuZXh0LWppdC1jb25maWctc2VjcmV0LTdjMmIifQ==";
constexpr const char* kRegistrationToken = "AABBCCSECRETREGISTRATIONTOKEN42";

// Every command line the stub can see that the bootstrap is part of: its own ancestors up
// to the test, and every process the bootstrap started. Written to $1, one line each, for
// the test to check that no secret is on any of them (/proc/<pid>/cmdline is world-readable).
constexpr const char* kDumpCommandLines = R"sh(python3 - "$1" <<'PY'
import os, sys
def parent(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("PPid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
parents = {p: parent(p) for p in pids}
chain, p = [], os.getpid()
while p > 1:
    chain.append(p)
    p = parents.get(p, 0) or parent(p)
roots = [p for p in chain if "bootstrap.sh" in cmdline(p)]
root = roots[-1] if roots else chain[-1]
def started_by_root(p):
    while p > 1:
        if p == root:
            return True
        p = parents.get(p, 0)
    return False
with open(sys.argv[1], "w") as out:
    for p in sorted(set(chain) | {p for p in pids if started_by_root(p)}):
        out.write(cmdline(p) + "\n")
PY
)sh";

// Stubs of the Actions runner's scripts. They record into $STUB_DIR (the test's folder):
// arguments one a line, the secret each got through the environment (the variables the
// real runner reads, ACTIONS_RUNNER_INPUT_*), the command lines around them, and events in
// order. stub.conf sets how long run.sh "works", a file it then waits for before ending (so
// that a test can act while the first job runs), whether it looks busy meanwhile (a
// Runner.Worker process, as the real runner has during a job), and its exit status. Each run leaves a file in
// the work directory and, with STUB_LEFTOVER=1, a process behind in its session; the next
// run reports either if it is still there.
constexpr const char* kStubRun = R"sh(#!/bin/bash
for a in "$@"; do printf '%s\n' "$a"; done > "$STUB_DIR/run.args"
printf '%s' "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" > "$STUB_DIR/run.jitconfig"
printf '%s\n' "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" >> "$STUB_DIR/run.jitconfigs"
"$STUB_DIR/dump-cmdlines" "$STUB_DIR/run.cmdlines"
echo run >> "$STUB_DIR/events"
STUB_RUN_SECONDS=0
STUB_BUSY=0
STUB_WAIT_FOR=
STUB_EXIT=0
STUB_LEFTOVER=0
if [ -f "$STUB_DIR/stub.conf" ]; then . "$STUB_DIR/stub.conf"; fi
if [ -e _work/job-file ]; then echo stale-work >> "$STUB_DIR/events"; fi
if [ -f "$STUB_DIR/leftover.pid" ] && ps -o stat= -p "$(cat "$STUB_DIR/leftover.pid")" | grep -qv Z; then
  echo leftover-alive >> "$STUB_DIR/events"
fi
mkdir -p _work && echo job > _work/job-file
if [ "$STUB_LEFTOVER" = 1 ]; then sleep 60 >/dev/null 2>&1 & echo $! > "$STUB_DIR/leftover.pid"; fi
trap 'echo "signal TERM" >> "$STUB_DIR/events"; kill "$child" 2>/dev/null; exit 143' TERM
work='sleep "$1"; if [ -n "$2" ]; then for _ in $(seq 300); do [ -e "$2" ] && break; sleep 0.1; done; fi'
if [ "$STUB_BUSY" = 1 ]; then
  (exec -a Runner.Worker bash -c "$work" _ "$STUB_RUN_SECONDS" "$STUB_WAIT_FOR") &
else
  bash -c "$work" _ "$STUB_RUN_SECONDS" "$STUB_WAIT_FOR" &
fi
child=$!
wait "$child"
echo run-exit >> "$STUB_DIR/events"
if [ "${STUB_EXIT_TIME:-0}" = 1 ]; then date +%s%N > "$STUB_DIR/run-exit.time"; fi
exit "$STUB_EXIT"
)sh";
constexpr const char* kStubConfig = R"sh(#!/bin/bash
for a in "$@"; do printf '%s\n' "$a"; done > "$STUB_DIR/config.args"
printf '%s' "${ACTIONS_RUNNER_INPUT_TOKEN:-}" > "$STUB_DIR/config.token"
"$STUB_DIR/dump-cmdlines" "$STUB_DIR/config.cmdlines"
echo config >> "$STUB_DIR/events"
)sh";

std::optional<std::string> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    const fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

std::string current_user() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

void write_file(const fs::path& p, const std::string& text, bool executable = false) {
  std::ofstream(p, std::ios::binary) << text;
  if (executable) fs::permissions(p, fs::perms::owner_all, fs::perm_options::add);
}

std::string read_or_empty(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Alive and not a zombie waiting for whoever inherited it to reap it.
bool process_alive(int pid) {
  const std::string stat = read_or_empty("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto td = testing::testdata_dir();
    if (!td) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
    if (!find_on_path("aws")) GTEST_SKIP() << "the AWS CLI is not installed (scripts/setup installs awscli); skipping";

    auto imds = fakes::FakeImds::start({.instance_id = kInstanceId,
                                        .access_key_id = kRoleKeyId,
                                        .secret_access_key = kRoleSecret,
                                        .session_token = kRoleToken});
    ASSERT_TRUE(imds.ok()) << imds.error().message;
    imds_ = std::move(*imds);

    fake_aws_ = std::make_unique<Subprocess>(std::vector<std::string>{
        GHSCALE_FAKE_AWS_BINARY, "--models", (*td / "aws-models").string(), "--credentials",
        std::string(kRoleKeyId) + ":" + kRoleSecret + ":" + kRoleToken});
    std::string out;
    for (int i = 0; i < 500 && out.find('\n') == std::string::npos; ++i) {
      fake_aws_->wait(10ms);
      out = fake_aws_->out();
    }
    const auto pos = out.find("PORT ");
    ASSERT_NE(pos, std::string::npos) << out << fake_aws_->err();
    aws_endpoint_ = "http://127.0.0.1:" + std::to_string(std::stoi(out.substr(pos + 5)));

    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("ghscale-bootstrap-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    runner_dir_ = dir_ / "runner";
    fs::create_directories(runner_dir_);
    write_file(runner_dir_ / "run.sh", kStubRun, true);
    write_file(runner_dir_ / "config.sh", kStubConfig, true);
    write_file(dir_ / "dump-cmdlines", std::string("#!/bin/bash\n") + kDumpCommandLines, true);
  }

  void TearDown() override {
    if (!dir_.empty() && !::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  // A clean environment, so nothing of the developer's AWS setup leaks in.
  std::vector<std::string> base_env() const {
    std::vector<std::string> env = {"/usr/bin/env", "-i"};
    for (const char* name : {"PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "LANG"}) {
      if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
    }
    env.push_back("AWS_CONFIG_FILE=/nonexistent");
    env.push_back("AWS_SHARED_CREDENTIALS_FILE=/nonexistent");
    env.push_back("AWS_ENDPOINT_URL=" + aws_endpoint_);
    return env;
  }

  // The AWS CLI as the operator (ghscale) uses it, with long-term keys the fake knows.
  testing::RunResult aws(std::vector<std::string> args) const {
    auto argv = base_env();
    for (const char* e : {"AWS_ACCESS_KEY_ID=AKIDFAKEEXAMPLE", "AWS_SECRET_ACCESS_KEY=fake/secret/key",
                          "AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}) {
      argv.push_back(e);
    }
    argv.push_back("aws");
    for (auto& a : args) argv.push_back(std::move(a));
    return testing::run(argv, 60s);
  }

  void put_registration(const std::string& value) {
    auto r = aws({"ssm", "put-parameter", "--name", kParameter, "--type", "SecureString", "--overwrite", "--value",
                  value});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  bool registration_exists() {
    auto r = aws({"ssm", "get-parameter", "--name", kParameter, "--with-decryption"});
    if (r.exit_code == 0) return true;
    EXPECT_NE(r.err.find("ParameterNotFound"), std::string::npos) << r.err;
    return false;
  }

  // bash bootstrap.sh, as on an instance, with the host-specific parts pointed at the fakes.
  std::vector<std::string> bootstrap_argv(const std::map<std::string, std::string>& overrides = {}) const {
    std::map<std::string, std::string> settings = {
        {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_->endpoint()},
        {"AWS_METADATA_SERVICE_TIMEOUT", "5"},
        {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "3"},
        {"GHSCALE_IMDS_ENDPOINT", imds_->endpoint()},
        {"GHSCALE_SHUTDOWN_CMD", "echo shutdown >> " + (dir_ / "events").string()},
        {"GHSCALE_RUNNER_DIR", runner_dir_.string()},
        {"GHSCALE_RUNNER_USER", current_user()},
        {"GHSCALE_LOG_FILE", log_file().string()},
        {"GHSCALE_STATE_DIR", (dir_ / "state").string()},
        {"GHSCALE_REGISTRATION_TIMEOUT", "60"},
        // Short: every JIT runner's exit is followed by a look for a next registration.
        {"GHSCALE_REUSE_WAIT", "1"},
        {"GHSCALE_MAX_JOB_TIME", "120"},
        {"GHSCALE_STOP_GRACE", "5"},
        {"GHSCALE_SPOT_POLL_INTERVAL", "1"},
        {"GHSCALE_POLL_MAX_INTERVAL", "1"},
        {"STUB_DIR", dir_.string()},
    };
    for (const auto& [k, v] : overrides) settings[k] = v;
    auto argv = base_env();
    for (const auto& [k, v] : settings) argv.push_back(k + "=" + v);
    argv.push_back("bash");
    argv.push_back((testing::source_dir() / "deploy/runner/bootstrap.sh").string());
    return argv;
  }

  testing::RunResult bootstrap(const std::map<std::string, std::string>& overrides = {}) const {
    return testing::run(bootstrap_argv(overrides), 120s);
  }

  fs::path log_file() const { return dir_ / "bootstrap.log"; }
  std::string log() const { return read_or_empty(log_file()); }
  std::vector<std::string> events() const { return lines(read_or_empty(dir_ / "events")); }
  std::vector<std::string> run_args() const { return lines(read_or_empty(dir_ / "run.args")); }
  std::vector<std::string> config_args() const { return lines(read_or_empty(dir_ / "config.args")); }
  std::string run_jitconfig() const { return read_or_empty(dir_ / "run.jitconfig"); }
  std::vector<std::string> run_jitconfigs() const { return lines(read_or_empty(dir_ / "run.jitconfigs")); }
  // The file the stub's runs wait for (STUB_WAIT_FOR) before they end.
  fs::path go_file() const { return dir_ / "go"; }
  void let_the_job_end() const { write_file(go_file(), "go\n"); }

  // Starts the bootstrap (its stub runner waiting for go_file()), writes kNextJitConfig once
  // the log shows `started`, lets the first job end and waits for the script to finish.
  testing::RunResult run_with_next_registration(const std::map<std::string, std::string>& overrides,
                                                const std::string& started = "runner started") {
    Subprocess p(bootstrap_argv(overrides));
    if (!p.wait_for_stderr([&](const std::string& e) { return e.find(started) != std::string::npos; }, 60s)) {
      ADD_FAILURE() << "no \"" << started << "\" in the log:\n" << p.err();
      return {};
    }
    EXPECT_FALSE(registration_exists()) << "the first registration is deleted before its runner starts";
    put_registration(kNextJitConfig);
    let_the_job_end();
    testing::RunResult r;
    r.exit_code = p.wait(90s).value_or(-1);
    r.out = p.out();
    r.err = p.err();
    return r;
  }
  std::string config_token() const { return read_or_empty(dir_ / "config.token"); }

  // The secret is on no command line the stub saw (which must include the bootstrap's).
  void expect_not_on_any_command_line(const std::string& file, const std::string& secret) const {
    const std::string cmdlines = read_or_empty(dir_ / file);
    EXPECT_NE(cmdlines.find("bootstrap.sh"), std::string::npos) << file << ":\n" << cmdlines;
    EXPECT_EQ(cmdlines.find(secret), std::string::npos) << file << ":\n" << cmdlines;
  }
  void stub_conf(const std::string& text) const { write_file(dir_ / "stub.conf", text); }

  void expect_no_secret(const testing::RunResult& r, const std::string& secret) const {
    EXPECT_EQ(log().find(secret), std::string::npos) << "secret in the log file";
    EXPECT_EQ(r.out.find(secret), std::string::npos) << "secret on stdout";
    EXPECT_EQ(r.err.find(secret), std::string::npos) << "secret on stderr";
  }

  std::unique_ptr<fakes::FakeImds> imds_;
  std::unique_ptr<Subprocess> fake_aws_;
  std::string aws_endpoint_;
  fs::path dir_;
  fs::path runner_dir_;
};

using Events = std::vector<std::string>;

TEST_F(BootstrapTest, RegistersWithTheJitConfigDeletesItAndShutsDownAfterTheJob) {
  put_registration(kJitConfig);
  auto r = bootstrap();
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // Through the environment the runner reads, never as --jitconfig on a command line.
  EXPECT_TRUE(run_args().empty()) << log();
  EXPECT_EQ(run_jitconfig(), kJitConfig) << log();
  expect_not_on_any_command_line("run.cmdlines", kJitConfig);
  EXPECT_FALSE(registration_exists());
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
  EXPECT_NE(log().find("instance i-0123456789abcdef0 in us-east-1"), std::string::npos) << log();
  expect_no_secret(r, kJitConfig);

  // IMDSv2 throughout; the AWS CLI signed with the role credentials IMDS handed out.
  EXPECT_GE(imds_->token_requests(), 1);
  EXPECT_GE(imds_->credential_requests(), 1);
  EXPECT_EQ(imds_->rejected_requests(), 0);
}

TEST_F(BootstrapTest, RegistrationTokenDocumentConfiguresThenRuns) {
  put_registration(std::string(R"({"kind":"registration-token","url":"https://github.com/octo-org","token":")") +
                   kRegistrationToken +
                   R"(","name":"ghscale-i-0123","labels":["linux","x64 large"],"runner_group":"Default",)"
                   R"("ephemeral":true})");
  auto r = bootstrap();
  EXPECT_EQ(r.exit_code, 0) << r.err;

  EXPECT_EQ(config_args(), (Events{"--unattended", "--url", "https://github.com/octo-org", "--name", "ghscale-i-0123",
                                   "--labels", "linux,x64 large", "--runnergroup", "Default", "--ephemeral"}))
      << log();
  EXPECT_EQ(config_token(), kRegistrationToken);
  expect_not_on_any_command_line("config.cmdlines", kRegistrationToken);
  expect_not_on_any_command_line("run.cmdlines", kRegistrationToken);
  EXPECT_TRUE(run_args().empty());
  EXPECT_EQ(run_jitconfig(), "");
  EXPECT_EQ(events(), (Events{"config", "run", "run-exit", "shutdown"})) << log();
  EXPECT_FALSE(registration_exists());
  expect_no_secret(r, kRegistrationToken);
}

TEST_F(BootstrapTest, NonEphemeralDocumentOmitsEphemeralAndEmptyFields) {
  put_registration(std::string(R"({"kind":"registration-token","url":"https://github.com/octo-org","token":")") +
                   kRegistrationToken + R"(","name":"","labels":[],"runner_group":"","ephemeral":false})");
  auto r = bootstrap();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(config_args(), (Events{"--unattended", "--url", "https://github.com/octo-org"})) << log();
  EXPECT_EQ(config_token(), kRegistrationToken);
  EXPECT_EQ(events(), (Events{"config", "run", "run-exit", "shutdown"})) << log();
}

TEST_F(BootstrapTest, WaitsForAParameterThatAppearsLater) {
  Subprocess p(bootstrap_argv());
  ASSERT_TRUE(p.wait_for_stderr(
      [](const std::string& e) { return e.find("waiting for /ghscale/runners/i-0123456789abcdef0") != std::string::npos; },
      60s))
      << p.err();
  EXPECT_TRUE(events().empty());
  put_registration(kJitConfig);
  ASSERT_EQ(p.wait(90s).value_or(-1), 0) << p.err();
  EXPECT_EQ(run_jitconfig(), kJitConfig) << log();
  expect_not_on_any_command_line("run.cmdlines", kJitConfig);
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
  EXPECT_FALSE(registration_exists());
}

TEST_F(BootstrapTest, WatchdogShutsDownWhenNoRegistrationArrives) {
  auto r = bootstrap({{"GHSCALE_REGISTRATION_TIMEOUT", "3"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"shutdown"})) << log();
  EXPECT_TRUE(run_args().empty());
  EXPECT_NE(log().find("no registration at /ghscale/runners/i-0123456789abcdef0 within 3s"), std::string::npos)
      << log();
}

TEST_F(BootstrapTest, WatchdogStopsARunnerPastTheMaximumJobTime) {
  put_registration(kJitConfig);
  stub_conf("STUB_RUN_SECONDS=300\n");
  auto r = bootstrap({{"GHSCALE_MAX_JOB_TIME", "2"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"run", "signal TERM", "shutdown"})) << log();
  EXPECT_NE(log().find("maximum job time (2s)"), std::string::npos) << log();
}

TEST_F(BootstrapTest, SpotNoticeStopsAnIdleRunnerAndReports) {
  put_registration(kJitConfig);
  stub_conf("STUB_RUN_SECONDS=300\n");
  imds_->set_spot_action("terminate");
  auto r = bootstrap();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"run", "signal TERM", "shutdown"})) << log();
  EXPECT_NE(log().find(R"(spot interruption notice {"action":"terminate")"), std::string::npos) << log();
  EXPECT_NE(log().find("runner idle, stopping it"), std::string::npos) << log();
}

TEST_F(BootstrapTest, SpotNoticeLetsARunningJobFinish) {
  put_registration(kJitConfig);
  stub_conf("STUB_RUN_SECONDS=5\nSTUB_BUSY=1\n");
  imds_->set_spot_action("terminate");
  // The first look comes after 2 s, when the stub's "job" is well under way.
  auto r = bootstrap({{"GHSCALE_SPOT_POLL_INTERVAL", "2"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
  EXPECT_NE(log().find("a job is in progress, letting it run"), std::string::npos) << log();
}

TEST_F(BootstrapTest, NoSpotNoticeNoReport) {
  put_registration(kJitConfig);
  stub_conf("STUB_RUN_SECONDS=3\n");
  auto r = bootstrap();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
  EXPECT_EQ(log().find("spot interruption"), std::string::npos) << log();
  EXPECT_GE(imds_->requests("/latest/meta-data/instance-id"), 1);
}

// Instance reuse: the scaler writes the next JIT registration to the same parameter while
// the job runs; the bootstrap runs it after the first runner ends.
TEST_F(BootstrapTest, ReuseRunsTheNextRegistrationWrittenDuringTheJob) {
  put_registration(kJitConfig);
  stub_conf("STUB_WAIT_FOR=" + go_file().string() + "\n");
  auto r = run_with_next_registration({{"GHSCALE_REUSE_WAIT", "5"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  EXPECT_EQ(run_jitconfigs(), (Events{kJitConfig, kNextJitConfig})) << log();
  EXPECT_EQ(events(), (Events{"run", "run-exit", "run", "run-exit", "shutdown"})) << log();
  EXPECT_FALSE(registration_exists()) << "the next registration is deleted too";
  const std::string text = log();
  const auto first = text.find("deleted /ghscale/runners/i-0123456789abcdef0");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_NE(text.find("deleted /ghscale/runners/i-0123456789abcdef0", first + 1), std::string::npos) << text;
  EXPECT_NE(text.find("shutting down: runner exited (status 0); no next registration"), std::string::npos) << text;
  expect_not_on_any_command_line("run.cmdlines", kNextJitConfig);
  expect_no_secret(r, kJitConfig);
  expect_no_secret(r, kNextJitConfig);
}

TEST_F(BootstrapTest, NoNextRegistrationShutsDownWithinTheReuseWait) {
  put_registration(kJitConfig);
  stub_conf("STUB_EXIT_TIME=1\n");
  const fs::path exit_time = dir_ / "run-exit.time";
  const fs::path shutdown_time = dir_ / "shutdown.time";
  auto r = bootstrap({{"GHSCALE_REUSE_WAIT", "2"},
                      {"GHSCALE_SHUTDOWN_CMD",
                       "echo shutdown >> " + (dir_ / "events").string() + "; date +%s%N > " + shutdown_time.string()}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
  EXPECT_NE(log().find("runner exited (status 0); no next registration"), std::string::npos) << log();
  const std::string exited = read_or_empty(exit_time), shut = read_or_empty(shutdown_time);
  ASSERT_FALSE(exited.empty() || shut.empty()) << log();
  const double waited = static_cast<double>(std::stoll(shut) - std::stoll(exited)) / 1e9;
  // It looked for a next registration until the wait ran out, and not much longer (one AWS
  // CLI call may still be under way at the deadline).
  EXPECT_GE(waited, 1.0) << log();
  EXPECT_LT(waited, 2.0 + 8.0) << log();
}

TEST_F(BootstrapTest, ReuseWaitZeroNeverReuses) {
  put_registration(kJitConfig);
  stub_conf("STUB_WAIT_FOR=" + go_file().string() + "\n");
  auto r = run_with_next_registration({{"GHSCALE_REUSE_WAIT", "0"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
  EXPECT_EQ(run_jitconfigs(), (Events{kJitConfig})) << log();
  EXPECT_TRUE(registration_exists()) << "left for ghscale to delete";
}

TEST_F(BootstrapTest, SpotNoticeEndsReuseEvenWithANextRegistrationWaiting) {
  put_registration(kJitConfig);
  stub_conf("STUB_BUSY=1\nSTUB_WAIT_FOR=" + go_file().string() + "\n");
  imds_->set_spot_action("terminate");
  auto r = run_with_next_registration({{"GHSCALE_REUSE_WAIT", "5"}}, "a job is in progress, letting it run");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
  EXPECT_EQ(run_jitconfigs(), (Events{kJitConfig})) << log();
  EXPECT_NE(log().find("runner exited (status 0); spot interruption notice, no reuse"), std::string::npos) << log();
  EXPECT_TRUE(registration_exists()) << "the next registration was never read";
}

TEST_F(BootstrapTest, AFailedRunnerIsNotReused) {
  put_registration(kJitConfig);
  stub_conf("STUB_EXIT=3\nSTUB_WAIT_FOR=" + go_file().string() + "\n");
  auto r = run_with_next_registration({{"GHSCALE_REUSE_WAIT", "5"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
  EXPECT_EQ(run_jitconfigs(), (Events{kJitConfig})) << log();
  EXPECT_NE(log().find("runner exited (status 3); a failed runner is not reused"), std::string::npos) << log();
  EXPECT_TRUE(registration_exists());
}

// A registration-token runner stays registered (non-ephemeral) or deregisters itself: it is
// never followed by another, even with a registration waiting.
TEST_F(BootstrapTest, ARegistrationTokenRunnerIsNotReused) {
  put_registration(std::string(R"({"kind":"registration-token","url":"https://github.com/octo-org","token":")") +
                   kRegistrationToken + R"(","name":"r","labels":[],"runner_group":"","ephemeral":true})");
  stub_conf("STUB_WAIT_FOR=" + go_file().string() + "\n");
  auto r = run_with_next_registration({{"GHSCALE_REUSE_WAIT", "5"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(events(), (Events{"config", "run", "run-exit", "shutdown"})) << log();
  EXPECT_NE(log().find("shutting down: runner exited (status 0)\n"), std::string::npos) << log();
  EXPECT_TRUE(registration_exists());
}

// Between jobs: the first job's work directory and a process it left in the runner's session
// are gone before the next runner starts (the stub reports either as an event).
TEST_F(BootstrapTest, BetweenJobsTheWorkDirectoryAndLeftoverProcessesGo) {
  put_registration(kJitConfig);
  stub_conf("STUB_LEFTOVER=1\nSTUB_WAIT_FOR=" + go_file().string() + "\n");
  auto r = run_with_next_registration({{"GHSCALE_REUSE_WAIT", "5"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Without the cleanup the second run would have logged "stale-work" and "leftover-alive".
  EXPECT_EQ(events(), (Events{"run", "run-exit", "run", "run-exit", "shutdown"})) << log();
  EXPECT_NE(log().find("between jobs: removed " + (runner_dir_ / "_work").string()), std::string::npos) << log();
  // Each run leaves both (the last run's are still there to see), so the first one did too.
  EXPECT_TRUE(fs::exists(runner_dir_ / "_work" / "job-file"));
  const std::string leftover = read_or_empty(dir_ / "leftover.pid");
  ASSERT_FALSE(leftover.empty());
  // The last run's leftover went with its session before the shutdown.
  EXPECT_FALSE(process_alive(std::stoi(leftover))) << leftover;
}

// The runner tarball "released" under a file:// URL with GitHub's layout.
class BootstrapDownloadTest : public BootstrapTest {
 protected:
  void SetUp() override {
    BootstrapTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    utsname u{};
    ::uname(&u);
    const std::string machine = u.machine;
    const std::string arch = machine == "aarch64" || machine == "arm64" ? "arm64" : "x64";
    const fs::path release = dir_ / "releases" / "v2.999.0";
    fs::create_directories(release);
    tarball_ = release / ("actions-runner-linux-" + arch + "-2.999.0.tar.gz");
    auto tar = testing::run({"/usr/bin/env", "tar", "-czf", tarball_.string(), "-C", runner_dir_.string(), "."});
    ASSERT_EQ(tar.exit_code, 0) << tar.err;
    auto sum = testing::run({"/usr/bin/env", "sha256sum", tarball_.string()});
    ASSERT_EQ(sum.exit_code, 0) << sum.err;
    sha256_ = sum.out.substr(0, 64);
  }

  std::map<std::string, std::string> download_settings(const std::string& sha) const {
    return {{"GHSCALE_RUNNER_DIR", (dir_ / "downloaded").string()},
            {"GHSCALE_RUNNER_VERSION", "2.999.0"},
            {"GHSCALE_RUNNER_SHA256", sha},
            {"GHSCALE_RUNNER_DOWNLOAD_URL", "file://" + (dir_ / "releases").string()}};
  }

  fs::path tarball_;
  std::string sha256_;
};

TEST_F(BootstrapDownloadTest, DownloadsAndVerifiesAPinnedRunner) {
  put_registration(kJitConfig);
  auto r = bootstrap(download_settings(sha256_));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "downloaded" / "run.sh"));
  EXPECT_TRUE(run_args().empty()) << log();
  EXPECT_EQ(run_jitconfig(), kJitConfig) << log();
  EXPECT_EQ(events(), (Events{"run", "run-exit", "shutdown"})) << log();
}

TEST_F(BootstrapDownloadTest, RefusesARunnerWithTheWrongChecksum) {
  put_registration(kJitConfig);
  auto r = bootstrap(download_settings(std::string(64, '0')));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "downloaded" / "run.sh"));
  EXPECT_EQ(events(), (Events{"shutdown"})) << log();
  EXPECT_NE(log().find("checksum mismatch"), std::string::npos) << log();
  // The registration stays for ghscale to clean up; it was never read.
  EXPECT_TRUE(registration_exists());
}

TEST(BootstrapScript, PassesShellcheck) {
  auto shellcheck = find_on_path("shellcheck");
  if (!shellcheck) GTEST_SKIP() << "shellcheck not installed (Debian package shellcheck); skipping";
  auto r = testing::run({*shellcheck, (testing::source_dir() / "deploy/runner/bootstrap.sh").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// The docker group is root on the instance: the script only adds the runner user to it
// when asked, and says why.
TEST(BootstrapScript, DockerGroupIsOptIn) {
  const std::string script = testing::read_file(testing::source_dir() / "deploy/runner/bootstrap.sh");
  EXPECT_NE(script.find(R"(: "${GHSCALE_RUNNER_DOCKER_GROUP:=0}")"), std::string::npos);
  EXPECT_NE(script.find("root-equivalent"), std::string::npos);
  const auto usermod = script.find("usermod -aG docker");
  ASSERT_NE(usermod, std::string::npos);
  const auto guard = script.rfind(R"(if [[ "$GHSCALE_RUNNER_DOCKER_GROUP" == 1 ]]; then)", usermod);
  ASSERT_NE(guard, std::string::npos);
  EXPECT_EQ(script.find("\n  fi\n", guard), script.find("\n  fi\n", usermod)) << "usermod outside the opt-in";
  for (const char* flag : {"--jitconfig", "--token"}) EXPECT_EQ(script.find(flag), std::string::npos) << flag;
}

TEST(BootstrapScript, HoldsNoCredentials) {
  const std::string script = testing::read_file(testing::source_dir() / "deploy/runner/bootstrap.sh");
  for (const char* shape : {"AKIA", "ASIA", "ghp_", "github_pat_", "ghs_", "BEGIN RSA", "BEGIN PRIVATE"}) {
    EXPECT_EQ(script.find(shape), std::string::npos) << shape;
  }
}

}  // namespace
}  // namespace ghscale
