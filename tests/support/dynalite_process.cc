#include "support/dynalite_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "support/testdata.h"

namespace ghscale::testing {
namespace {

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepting(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

DynaliteProcess::~DynaliteProcess() {
  if (child) {
    child->signal(SIGTERM);
    (void)child->wait(std::chrono::seconds(5));
  }
}

std::unique_ptr<DynaliteProcess> start_dynalite() {
  auto out = std::make_unique<DynaliteProcess>();
  const char* prefix_env = std::getenv("GHSCALE_NPM_PREFIX");
  const std::filesystem::path prefix = prefix_env != nullptr && *prefix_env != '\0' ? std::filesystem::path(prefix_env)
                                                                                     : source_dir() / "build" / "npm";
  const auto cli = prefix / "node_modules" / "dynalite" / "cli.js";
  if (!std::filesystem::exists(cli)) {
    out->unavailable = "dynalite not installed at " + cli.string() + " (npm install --prefix " + prefix.string() +
                       " dynalite@3); skipping";
    return out;
  }
  const char* node = std::filesystem::exists("/usr/bin/node") ? "/usr/bin/node" : "/usr/local/bin/node";
  // A port picked free may be taken before dynalite binds it: try a few.
  for (int attempt = 0; attempt < 3 && !out->child; ++attempt) {
    const std::uint16_t port = free_port();
    auto child = std::make_unique<Subprocess>(
        std::vector<std::string>{node, cli.string(), "--port", std::to_string(port), "--host", "127.0.0.1",
                                 "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"});
    for (int i = 0; i < 100 && !accepting(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (accepting(port)) {
      out->child = std::move(child);
      out->endpoint = "http://127.0.0.1:" + std::to_string(port);
    }
  }
  if (!out->child) out->unavailable = "dynalite did not start on loopback";
  return out;
}

}  // namespace ghscale::testing
