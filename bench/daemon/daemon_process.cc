#include "daemon/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

extern char** environ;

namespace ghscale::bench {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The port of the daemon's `"msg":"listening"` JSON log line, or 0 while absent.
std::uint16_t listening_port(const std::string& log) {
  const auto line_at = log.find("\"msg\":\"listening\"");
  if (line_at == std::string::npos) return 0;
  const auto line_end = log.find('\n', line_at);
  const auto line_start = log.rfind('\n', line_at);
  const std::string line = log.substr(line_start == std::string::npos ? 0 : line_start,
                                      line_end == std::string::npos ? std::string::npos : line_end - line_start);
  const auto key = line.find("\"port\":");
  if (key == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::strtoul(line.c_str() + key + 7, nullptr, 10));
}

}  // namespace

Result<std::unique_ptr<DaemonProcess>> DaemonProcess::start(const std::string& binary, const fs::path& config,
                                                            const std::vector<std::string>& env, const fs::path& log,
                                                            std::chrono::seconds startup_timeout) {
  std::vector<std::string> args = {binary, "serve", "--config", config.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // This process's environment, less the names `env` sets (the first of a name would win).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    const bool overridden = std::any_of(env.begin(), env.end(), [&](const std::string& x) { return x.rfind(name, 0) == 0; });
    if (!overridden) env_strings.emplace_back(entry);
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return make_error(ErrorKind::kPermanent, "cannot start " + binary + ": " + std::strerror(rc));

  std::unique_ptr<DaemonProcess> d(new DaemonProcess(pid, log));
  const auto until = std::chrono::steady_clock::now() + startup_timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (!d->running()) return make_error(ErrorKind::kPermanent, "ghscale serve exited: " + d->log_tail());
    d->port_ = listening_port(read_file(log));
    if (d->port_ != 0) return d;
    std::this_thread::sleep_for(20ms);
  }
  return make_error(ErrorKind::kRetryable, "ghscale serve did not start listening: " + d->log_tail());
}

DaemonProcess::~DaemonProcess() {
  if (reaped_) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {  // up to 10 s for a graceful shutdown
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(50ms);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

std::string DaemonProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

bool DaemonProcess::running() {
  if (reaped_) return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

Result<MemoryUse> DaemonProcess::memory() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  if (!in) return make_error(ErrorKind::kNotFound, "no /proc entry for the daemon");
  MemoryUse m;
  std::string line;
  while (std::getline(in, line)) {
    // "VmRSS:     12345 kB"
    auto kb = [&line] { return std::strtod(line.c_str() + line.find(':') + 1, nullptr) / 1024.0; };
    if (line.rfind("VmRSS:", 0) == 0) m.rss_mb = kb();
    if (line.rfind("VmHWM:", 0) == 0) m.hwm_mb = kb();
  }
  return m;
}

std::string DaemonProcess::log_tail(std::size_t bytes) const {
  const std::string all = read_file(log_);
  return all.substr(all.size() > bytes ? all.size() - bytes : 0);
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace ghscale::bench
