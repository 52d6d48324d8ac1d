// What the `ghscale github ...` commands print, as functions of a GitHubApi so that the
// CLI (src/app) only parses arguments and the output is testable against the fake.
#pragma once

#include <string>

#include "core/error.h"
#include "github/github_api.h"

namespace ghscale::github {

enum class OutputFormat { kText, kJson };

// Who the credentials are and every rate-limit bucket.
Result<std::string> whoami_report(GitHubApi& api, TimePoint now, OutputFormat format);
// The runners of a scope (a pool's), one a line: id, name, status, busy, labels.
Result<std::string> runners_report(GitHubApi& api, const Scope& scope, OutputFormat format);
// The runner groups of a scope: id, name, default, visibility.
Result<std::string> groups_report(GitHubApi& api, const Scope& scope, OutputFormat format);

}  // namespace ghscale::github
