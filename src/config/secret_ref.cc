#include "config/secret_ref.h"

#include <cctype>
#include <cstdlib>

#include "core/file_read.h"

namespace ghscale::config {
namespace {

constexpr std::string_view kHint = "use env:NAME, file:/path or ssm:/parameter/name";

bool valid_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string SecretRef::text() const {
  switch (kind) {
    case Kind::kEnv: return "env:" + target;
    case Kind::kFile: return "file:" + target;
    case Kind::kSsm: return "ssm:" + target;
  }
  return target;
}

Result<SecretRef> parse_secret_ref(std::string_view text) {
  auto starts = [&](std::string_view p) { return text.substr(0, p.size()) == p; };
  if (starts("env:")) {
    std::string_view name = text.substr(4);
    if (!valid_env_name(name)) {
      return make_error(ErrorKind::kInvalid, "env: reference needs a variable name of letters, digits and _");
    }
    return SecretRef{SecretRef::Kind::kEnv, std::string(name)};
  }
  if (starts("file:")) {
    std::string_view path = text.substr(5);
    if (path.empty()) return make_error(ErrorKind::kInvalid, "file: reference needs a path");
    return SecretRef{SecretRef::Kind::kFile, std::string(path)};
  }
  if (starts("ssm:")) {
    std::string_view name = text.substr(4);
    if (name.empty() || name[0] != '/') {
      return make_error(ErrorKind::kInvalid, "ssm: reference needs a parameter name starting with /");
    }
    return SecretRef{SecretRef::Kind::kSsm, std::string(name)};
  }
  return make_error(ErrorKind::kInvalid, "a literal secret is not allowed; " + std::string(kHint));
}

Result<std::string> resolve_local_secret(const SecretRef& ref) {
  switch (ref.kind) {
    case SecretRef::Kind::kEnv: {
      const char* v = std::getenv(ref.target.c_str());
      if (v == nullptr || *v == '\0') {
        return make_error(ErrorKind::kInvalid, "secret " + ref.text() + ": environment variable is not set");
      }
      return std::string(v);
    }
    case SecretRef::Kind::kFile: {
      auto read = read_regular_file(ref.target, kMaxSecretFileBytes);
      if (!read.ok()) return make_error(ErrorKind::kInvalid, "secret " + ref.text() + ": cannot read file: " + read.error().message);
      std::string value = std::move(read).value();
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      if (value.empty()) return make_error(ErrorKind::kInvalid, "secret " + ref.text() + ": file is empty");
      return value;
    }
    case SecretRef::Kind::kSsm:
      return make_error(ErrorKind::kInvalid, "secret " + ref.text() + ": ssm: references resolve through the AWS layer");
  }
  return make_error(ErrorKind::kInvalid, "unknown secret reference");
}

}  // namespace ghscale::config
