// A secret is never written in the config, only a reference to where it lives:
// env:NAME, file:/path, or ssm:/parameter/name. Resolution happens where it is used
// (ssm: through the AWS layer), so validating a config never touches a secret.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace ghscale::config {

struct SecretRef {
  enum class Kind { kEnv, kFile, kSsm };
  Kind kind = Kind::kEnv;
  std::string target;  // variable name, absolute file path, or parameter name

  std::string text() const;  // "env:NAME" — safe to log, it is not the secret
  friend bool operator==(const SecretRef&, const SecretRef&) = default;
};

// Parses a reference; anything else (a literal secret) is a kInvalid error whose
// message never repeats the value.
Result<SecretRef> parse_secret_ref(std::string_view text);

// A secret is a token or a key: far less than this, which bounds what a wrong file:
// path (a device, a log file) could make us hold.
inline constexpr std::size_t kMaxSecretFileBytes = 64 << 10;

// Resolves env: and file: references (a trailing newline of a file is dropped).
// ssm: references return kInvalid here: the AWS layer resolves them.
Result<std::string> resolve_local_secret(const SecretRef& ref);

}  // namespace ghscale::config
