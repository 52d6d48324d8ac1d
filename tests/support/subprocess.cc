#include "support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace ghscale::testing {

Subprocess::Subprocess(std::vector<std::string> argv, std::vector<std::string> extra_env) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (auto& e : extra_env) env.push_back(std::move(e));
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    // Nothing else of the test's: an inherited listening socket (Asio's are not
    // close-on-exec) would keep a fake server reachable after the test stopped it.
    if (close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) close(fd);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
    std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
}

Subprocess::~Subprocess() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(5));
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void Subprocess::signal(int sig) {
  if (!exit_code_) ::kill(pid_, sig);
}

void Subprocess::drain(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int n = poll(fds, 2, timeout_ms);
  if (n <= 0) return;
  char buf[4096];
  for (int i = 0; i < 2; ++i) {
    if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
    ssize_t got = read(fds[i].fd, buf, sizeof buf);
    if (got > 0) (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(got));
  }
}

std::optional<int> Subprocess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      for (int i = 0; i < 20; ++i) drain(0);
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    drain(10);
  }
}

bool Subprocess::wait_for_stderr(const std::function<bool(const std::string&)>& pred,
                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred(err_)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    int status = 0;
    if (!exit_code_ && waitpid(pid_, &status, WNOHANG) == pid_) {
      for (int i = 0; i < 20; ++i) drain(0);
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return pred(err_);
    }
    drain(20);
  }
  return true;
}

const std::string& Subprocess::out() {
  drain(0);
  return out_;
}

const std::string& Subprocess::err() {
  drain(0);
  return err_;
}

RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout, std::vector<std::string> extra_env) {
  Subprocess p(std::move(argv), std::move(extra_env));
  auto code = p.wait(timeout);
  RunResult r;
  r.exit_code = code.value_or(-1);
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace ghscale::testing
