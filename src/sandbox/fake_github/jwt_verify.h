// Checks a GitHub App JWT the way GitHub does: RS256 signature under the App's public
// key, iss = the App id, iat not in the future (60 s of drift allowed), exp in the
// future and at most 10 minutes after iat.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace ghscale::fake_github {

// The App id the token claims (iss), before its signature is checked.
Result<std::int64_t> jwt_issuer(std::string_view jwt);
Status verify_app_jwt(std::string_view jwt, std::string_view public_key_pem, std::int64_t app_id, TimePoint now);

}  // namespace ghscale::fake_github
