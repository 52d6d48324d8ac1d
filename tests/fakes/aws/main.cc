// fake_aws: the fake AWS endpoint as a process, for manual runs and other languages
// tests. Prints "PORT <n>" on stdout, serves until SIGTERM or SIGINT.
//   fake_aws --models DIR [--port N] [--group NAME:DESIRED:MAX]... [--param NAME=VALUE]...
//            [--credentials AKID:SECRET[:TOKEN]]...  (accepted besides the default test keys)
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "fakes/aws/fake_aws.h"

int main(int argc, char** argv) {
  using ghscale::fakes::FakeAws;
  ghscale::fakes::FakeAwsOptions options;
  std::vector<ghscale::fakes::FakeGroup> groups;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> credentials;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--models")
      options.models_dir = value;
    else if (flag == "--port")
      options.port = static_cast<std::uint16_t>(std::stoi(value));
    else if (flag == "--group") {
      ghscale::fakes::FakeGroup g;
      const auto a = value.find(':'), b = value.rfind(':');
      g.name = value.substr(0, a);
      g.desired_capacity = std::stoi(value.substr(a + 1, b - a - 1));
      g.max_size = std::stoi(value.substr(b + 1));
      groups.push_back(g);
    } else if (flag == "--param") {
      const auto eq = value.find('=');
      params.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (flag == "--credentials") {
      credentials.push_back(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (options.models_dir.empty()) {
    std::fprintf(stderr, "usage: fake_aws --models DIR [--port N] [--group NAME:DESIRED:MAX] [--param NAME=VALUE]\n");
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto fake = FakeAws::start(options);
  if (!fake.ok()) {
    std::fprintf(stderr, "fake_aws: %s\n", fake.error().message.c_str());
    return 1;
  }
  for (auto& g : groups) (*fake)->add_group(g);
  for (auto& [k, v] : params) (*fake)->put_parameter(k, v);
  for (const auto& c : credentials) {
    // AKID:SECRET[:TOKEN]; a session token may itself hold ':'.
    const auto a = c.find(':');
    const auto b = a == std::string::npos ? a : c.find(':', a + 1);
    if (a == std::string::npos) {
      std::fprintf(stderr, "--credentials wants AKID:SECRET[:TOKEN]\n");
      return 2;
    }
    (*fake)->add_credentials(c.substr(0, a), c.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1),
                             b == std::string::npos ? std::string() : c.substr(b + 1));
  }
  std::printf("PORT %u\n", static_cast<unsigned>((*fake)->port()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  (*fake)->shutdown();
  return 0;
}
