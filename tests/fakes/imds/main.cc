// fake_imds: the fake instance metadata service as a process, for manual runs of
// deploy/runner/bootstrap.sh. Prints "PORT <n>" on stdout, serves until SIGTERM or SIGINT.
//   fake_imds [--port N] [--instance-id ID] [--region R] [--role NAME]
//             [--credentials AKID:SECRET:TOKEN] [--spot-action terminate|stop|hibernate]
#include <signal.h>

#include <cstdio>
#include <string>

#include "fakes/imds/fake_imds.h"

int main(int argc, char** argv) {
  ghscale::fakes::FakeImdsOptions options;
  std::string spot_action;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") {
      options.port = static_cast<std::uint16_t>(std::stoi(value));
    } else if (flag == "--instance-id") {
      options.instance_id = value;
    } else if (flag == "--region") {
      options.region = value;
    } else if (flag == "--role") {
      options.role_name = value;
    } else if (flag == "--credentials") {
      const auto a = value.find(':');
      const auto b = a == std::string::npos ? a : value.find(':', a + 1);
      if (b == std::string::npos) {
        std::fprintf(stderr, "--credentials wants AKID:SECRET:TOKEN\n");
        return 2;
      }
      options.access_key_id = value.substr(0, a);
      options.secret_access_key = value.substr(a + 1, b - a - 1);
      options.session_token = value.substr(b + 1);
    } else if (flag == "--spot-action") {
      spot_action = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto imds = ghscale::fakes::FakeImds::start(options);
  if (!imds.ok()) {
    std::fprintf(stderr, "fake_imds: %s\n", imds.error().message.c_str());
    return 1;
  }
  if (!spot_action.empty()) (*imds)->set_spot_action(spot_action);
  std::printf("PORT %u\n", static_cast<unsigned>((*imds)->port()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  (*imds)->shutdown();
  return 0;
}
