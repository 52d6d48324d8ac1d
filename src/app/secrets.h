// Resolving the secret references of the configuration at start-up. Every resolved value
// is registered with the logger's redaction before anything else can print it.
#pragma once

#include <string>
#include <vector>

#include "config/secret_ref.h"
#include "core/error.h"

namespace ghscale::app {

Result<std::string> resolve_secret(const config::SecretRef& ref);
Result<std::vector<std::string>> resolve_secrets(const std::vector<config::SecretRef>& refs);

}  // namespace ghscale::app
