// `ghscale aws whoami`: who the credentials are (STS GetCallerIdentity), which source
// supplied them, the region and where each service's calls go. Never prints a secret;
// the access key id is shown with all but its last 4 characters masked.
#pragma once

#include <string>
#include <vector>

#include "aws/services/sts.h"
#include "aws/session.h"

namespace ghscale::aws {

struct WhoAmI {
  CallerIdentity identity;
  std::string credential_source;  // "environment", "profile dev (assume-role ...)", ...
  std::string access_key_id_masked;
  bool temporary = false;  // has a session token
  ResolvedRegion region;
  std::vector<std::pair<std::string, ResolvedEndpoint>> endpoints;  // display name → endpoint
};

Result<WhoAmI> whoami(Session& session);
std::string format_whoami_text(const WhoAmI& who);
std::string format_whoami_json(const WhoAmI& who);

}  // namespace ghscale::aws
