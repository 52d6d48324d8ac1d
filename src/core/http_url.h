// The one check of a URL ghscale is told to dial (a daemon's --url, an API base in the
// configuration): http(s)://HOST[:PORT][/PATH], no credentials in it (they would be
// echoed in errors and logs, and belong in a secret), no spaces or control characters.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ghscale {

// Why `url` is not such a URL ("has no host", "carries credentials (user:pass@) ...");
// nullopt when it is. The reason never repeats the URL, which may hold a credential.
std::optional<std::string> http_url_problem(std::string_view url);

}  // namespace ghscale
