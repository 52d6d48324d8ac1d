#include <csignal>
#include <iostream>

#include "app/commands.h"
#include "app/daemon.h"
#include "app/exit_codes.h"
#include "config/loader.h"
#include "core/log.h"

namespace ghscale::app {
namespace {

// Blocks SIGTERM and SIGINT in every thread (call before starting any), so that only
// wait_for_stop_signal() receives them.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int wait_for_stop_signal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace

int run_serve(const ServeOptions& options) {
  auto loaded = config::load_config_file(options.config_path);
  if (!loaded.ok()) {
    std::cerr << config::format_all(loaded.errors);
    return kExitUsage;
  }
  const config::LoggingConfig logging = loaded.config->logging;
  const Duration grace = loaded.config->server.shutdown_grace;
  log::init(*log::parse_format(logging.format), *log::parse_level(logging.level), logging.file);
  sigset_t stop_signals = block_stop_signals();

  auto daemon = Daemon::start(std::move(*loaded.config));
  if (!daemon) {
    log::error("cannot start", {{"error", daemon.error().message}});
    std::cerr << "ghscale: " << daemon.error().message << "\n";
    return kExitFailure;
  }
  int sig = wait_for_stop_signal(stop_signals);
  log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"grace_ms", static_cast<std::int64_t>(grace.count())}});
  (*daemon)->stop();
  log::info("stopped");
  return kExitOk;
}

}  // namespace ghscale::app
