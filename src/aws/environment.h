// What the credential chain, region and endpoint resolution read from outside the
// process, behind one injectable value: environment variables, the home directory, and
// the hosts of the metadata services. Tests pass a map instead of the real environment.
// Copyable value; thread-safe for reading.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ghscale::aws {

struct Environment {
  // A variable's value; nullopt when unset. Empty values count as unset (as the SDKs do).
  std::function<std::optional<std::string>(std::string_view)> lookup;
  std::string home;  // for ~/.aws; empty = no home

  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string fallback) const;
  // "true"/"1" (case-insensitive).
  bool flag(std::string_view name) const;

  // The process environment and $HOME.
  static Environment process();
  // Only these variables; home from HOME among them.
  static Environment from_map(std::map<std::string, std::string, std::less<>> vars);
};

// Profile settings from the shared config and credentials files, merged as the SDKs do:
// config "[profile NAME]" (or "[default]") first, credentials "[NAME]" winning on keys
// both define.
struct Profile {
  std::string name;
  std::map<std::string, std::string, std::less<>> settings;
  std::string found_in;  // file names, for messages

  std::optional<std::string> get(std::string_view key) const;
};

struct SharedFiles {
  std::string config_path;        // AWS_CONFIG_FILE or ~/.aws/config
  std::string credentials_path;   // AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
  std::string profile_name;       // AWS_PROFILE or "default"
  bool profile_explicit = false;  // AWS_PROFILE was set
};

SharedFiles shared_files(const Environment& env);

// The named profile; nullopt when neither file defines it (missing files are no error).
std::optional<Profile> load_profile(const SharedFiles& files, std::string_view name);

// INI sections of one file: {"profile x": {...}, "default": {...}}. Comment lines
// (# or ;), "key = value", and indented sub-keys (kept as "parent.sub") are understood.
std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> parse_ini(std::string_view text);

}  // namespace ghscale::aws
