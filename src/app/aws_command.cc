// `ghscale aws whoami`: which AWS identity ghscale acts as, where its credentials came
// from, the region and the endpoints it would call.
#include <iostream>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "aws/session.h"
#include "aws/whoami.h"

namespace ghscale::app {

int run_aws_whoami(const AwsWhoamiOptions& o) {
  aws::SessionOptions so;
  so.region = o.region;
  so.endpoint_url = o.endpoint_url;
  auto session = aws::Session::create(std::move(so));
  if (!session) {
    std::cerr << "ghscale: " << session.error().message << "\n";
    return session.error().kind == ErrorKind::kInvalid ? kExitUsage : kExitFailure;
  }
  auto who = aws::whoami(**session);
  if (!who) {
    std::cerr << "ghscale: " << who.error().message << "\n";
    return kExitFailure;
  }
  // The JSON is one line; a terminal or a line-reading consumer needs it ended.
  std::cout << (o.json ? aws::format_whoami_json(*who) + "\n" : aws::format_whoami_text(*who));
  return kExitOk;
}

}  // namespace ghscale::app
