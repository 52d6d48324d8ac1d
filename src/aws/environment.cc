#include "aws/environment.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace ghscale::aws {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> read_whole(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

}  // namespace

std::optional<std::string> Environment::get(std::string_view name) const {
  if (!lookup) return std::nullopt;
  auto v = lookup(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::string Environment::get_or(std::string_view name, std::string fallback) const {
  auto v = get(name);
  return v ? *v : std::move(fallback);
}

bool Environment::flag(std::string_view name) const {
  auto v = get(name);
  if (!v) return false;
  const std::string l = lower(trim(*v));
  return l == "true" || l == "1";
}

Environment Environment::process() {
  Environment env;
  env.lookup = [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  env.home = env.get_or("HOME", "");
  return env;
}

Environment Environment::from_map(std::map<std::string, std::string, std::less<>> vars) {
  Environment env;
  auto shared = std::make_shared<const std::map<std::string, std::string, std::less<>>>(std::move(vars));
  env.lookup = [shared](std::string_view name) -> std::optional<std::string> {
    auto it = shared->find(name);
    if (it == shared->end()) return std::nullopt;
    return it->second;
  };
  env.home = env.get_or("HOME", "");
  return env;
}

std::optional<std::string> Profile::get(std::string_view key) const {
  auto it = settings.find(key);
  if (it == settings.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

SharedFiles shared_files(const Environment& env) {
  SharedFiles files;
  const std::string aws_dir = env.home.empty() ? std::string() : env.home + "/.aws/";
  files.config_path = env.get_or("AWS_CONFIG_FILE", aws_dir.empty() ? "" : aws_dir + "config");
  files.credentials_path = env.get_or("AWS_SHARED_CREDENTIALS_FILE", aws_dir.empty() ? "" : aws_dir + "credentials");
  if (auto p = env.get("AWS_PROFILE")) {
    files.profile_name = *p;
    files.profile_explicit = true;
  } else {
    files.profile_name = "default";
  }
  return files;
}

std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> parse_ini(std::string_view text) {
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> sections;
  std::map<std::string, std::string, std::less<>>* current = nullptr;
  std::string parent;  // key of the last "key =" with an empty value, for indented sub-keys
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      if (close == std::string_view::npos) {
        current = nullptr;
        continue;
      }
      std::string name(trim(line.substr(1, close - 1)));
      // Collapse "profile   x" to "profile x".
      if (name.rfind("profile", 0) == 0 && name.size() > 7 && (name[7] == ' ' || name[7] == '\t')) {
        name = "profile " + std::string(trim(std::string_view(name).substr(8)));
      }
      current = &sections[name];
      parent.clear();
      continue;
    }
    if (current == nullptr) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key = lower(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    // Inline comments need whitespace before them ("x = 1 # note").
    for (std::size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        value = trim(value.substr(0, i));
        break;
      }
    }
    if (indented && !parent.empty()) {
      (*current)[parent + "." + key] = std::string(value);
      continue;
    }
    if (value.empty())
      parent = key;
    else
      parent.clear();
    (*current)[key] = std::string(value);
  }
  return sections;
}

std::optional<Profile> load_profile(const SharedFiles& files, std::string_view name) {
  Profile profile;
  profile.name = std::string(name);
  bool found = false;
  if (auto text = read_whole(files.config_path)) {
    auto sections = parse_ini(*text);
    auto it = sections.find(name == "default" ? std::string("default") : "profile " + std::string(name));
    if (it == sections.end() && name == "default") it = sections.find("profile default");
    if (it != sections.end()) {
      profile.settings = it->second;
      profile.found_in = files.config_path;
      found = true;
    }
  }
  if (auto text = read_whole(files.credentials_path)) {
    auto sections = parse_ini(*text);
    auto it = sections.find(name);
    if (it != sections.end()) {
      for (const auto& [k, v] : it->second) profile.settings[k] = v;
      profile.found_in += (profile.found_in.empty() ? "" : " and ") + files.credentials_path;
      found = true;
    }
  }
  if (!found) return std::nullopt;
  return profile;
}

}  // namespace ghscale::aws
