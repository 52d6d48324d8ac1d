// `ghscale serve` processes for integration tests, and a simulated world stepped beside
// them: the parts every serve test starts the same way.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale::testing {

struct ServeProcess {
  std::unique_ptr<Subprocess> process;
  std::uint16_t port = 0;  // 0 when it never said it was listening
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/webhook"; }
};

// The daemons of a test. Killed (SIGKILL) when it ends; a deque, so references stay valid
// as daemons are added.
class ServeProcesses {
 public:
  ServeProcesses() = default;
  ServeProcesses(const ServeProcesses&) = delete;
  ServeProcesses& operator=(const ServeProcesses&) = delete;
  ~ServeProcesses() { kill_all(); }

  // `ghscale serve --config config` with `env`, once it logs the port it listens on.
  ServeProcess& start(const std::string& config, const std::vector<std::string>& env) {
    ServeProcess d;
    d.process = std::make_unique<Subprocess>(std::vector<std::string>{ghscale_binary().string(), "serve", "--config", config}, env);
    static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
    std::smatch m;
    const bool up = d.process->wait_for_stderr([&](const std::string& e) { return std::regex_search(e, m, kListening); },
                                               std::chrono::seconds(20));
    EXPECT_TRUE(up) << d.process->err();
    if (up) d.port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
    all_.push_back(std::move(d));
    return all_.back();
  }

  // Polls pred every 50 ms, keeping the daemons' stderr pipes drained.
  bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      for (auto& d : all_) {
        if (d.process) d.process->err();
      }
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
  }

  // The last 4,000 bytes of each live daemon's stderr, for a failure message.
  std::string stderr_tails() {
    std::string out;
    for (auto& d : all_) {
      if (!d.process) continue;
      const std::string& err = d.process->err();
      out += "--- daemon stderr (last 4000 bytes) ---\n" + err.substr(err.size() > 4000 ? err.size() - 4000 : 0);
    }
    return out;
  }

  void kill_all() {
    for (auto& d : all_) {
      if (d.process) d.process->signal(SIGKILL);
    }
    all_.clear();
  }

 private:
  std::deque<ServeProcess> all_;
};

// Calls step() every 10 ms on a thread of its own until destroyed (a world's GitHub and
// cloud moving on in wall-clock time).
class Stepper {
 public:
  explicit Stepper(std::function<void()> step)
      : thread_([this, step = std::move(step)] {
          while (!stop_) {
            step();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }) {}
  Stepper(const Stepper&) = delete;
  Stepper& operator=(const Stepper&) = delete;
  ~Stepper() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ghscale::testing
