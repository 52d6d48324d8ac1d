#include "dynalite.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "http/client.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale::store::testing {
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

struct Dynalite::Process {
  std::unique_ptr<ghscale::testing::Subprocess> child;
};

Dynalite& Dynalite::get() {
  static Dynalite instance;
  return instance;
}

Dynalite::Dynalite() : process_(std::make_unique<Process>()) {
  const char* prefix_env = std::getenv("GHSCALE_NPM_PREFIX");
  const std::filesystem::path prefix = prefix_env != nullptr && *prefix_env != '\0'
                                           ? std::filesystem::path(prefix_env)
                                           : ghscale::testing::source_dir() / "build" / "npm";
  const auto cli = prefix / "node_modules" / "dynalite" / "cli.js";
  if (!std::filesystem::exists(cli)) {
    unavailable_ = "dynalite not installed at " + cli.string() + " (npm install --prefix " + prefix.string() +
                   " dynalite@3); skipping";
    return;
  }
  const char* node = std::filesystem::exists("/usr/bin/node") ? "/usr/bin/node" : "/usr/local/bin/node";
  for (int attempt = 0; attempt < 3 && !process_->child; ++attempt) {
    const std::uint16_t port = free_port();
    auto child = std::make_unique<ghscale::testing::Subprocess>(
        std::vector<std::string>{node, cli.string(), "--port", std::to_string(port), "--host", "127.0.0.1",
                                 "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"});
    for (int i = 0; i < 100 && !accepting(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (accepting(port)) {
      process_->child = std::move(child);
      endpoint_ = "http://127.0.0.1:" + std::to_string(port);
    }
  }
  if (!process_->child) unavailable_ = "dynalite did not start on loopback";
}

Dynalite::~Dynalite() {
  if (process_ && process_->child) {
    process_->child->signal(SIGTERM);
    (void)process_->child->wait(std::chrono::seconds(5));
  }
}

std::shared_ptr<aws::DynamoDbClient> Dynalite::client() const {
  aws::AwsClientOptions options;
  options.http = http::make_curl_client();
  options.credentials = aws::make_static_provider({"AKIDLOCAL", "local-secret", ""});
  options.sleeper = [](Duration) {};
  return std::make_shared<aws::DynamoDbClient>(
      std::make_shared<aws::AwsClient>(aws::Service::kDynamoDb, "us-east-1", endpoint_, options));
}

std::string Dynalite::table_for(const std::string& seed) {
  return "ghscale-test-" + std::to_string(std::hash<std::string>{}(seed));
}

}  // namespace ghscale::store::testing
