#include "config/yaml_reader.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "config/suggest.h"
#include "core/duration.h"

namespace ghscale::config {

std::string describe_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "\"" + node.Scalar() + "\"";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "something else";
}

void YamlReader::error(const YAML::Node& at, const std::string& path, std::string message) {
  error(at.Mark(), path, std::move(message));
}

void YamlReader::error(const YAML::Mark& at, const std::string& path, std::string message) {
  Diagnostic d;
  d.file = file_;
  d.line = at.line >= 0 ? at.line + 1 : 1;
  d.column = at.column >= 0 ? at.column + 1 : 1;
  d.path = path;
  d.message = std::move(message);
  out_.push_back(std::move(d));
}

std::string YamlReader::join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string YamlReader::index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool YamlReader::check_map(const YAML::Node& node, const std::string& path,
                           std::initializer_list<std::string_view> known) {
  return check_map(node, path, std::vector<std::string_view>(known));
}

bool YamlReader::check_map(const YAML::Node& node, const std::string& path,
                           const std::vector<std::string_view>& known) {
  if (!node.IsMap()) {
    error(node, path, "expected a map, got " + describe_kind(node));
    return false;
  }
  for (const auto& entry : node) {
    // A copy: yaml-cpp's iterator hands out a temporary pair, so a reference into it
    // would dangle (AddressSanitizer caught exactly that).
    const YAML::Node key = entry.first;
    if (!key.IsScalar()) {
      error(key, path, "keys must be plain words");
      continue;
    }
    const std::string& name = key.Scalar();
    bool found = false;
    for (auto k : known) found = found || k == name;
    if (found) continue;
    std::string message = "unknown key \"" + name + "\"";
    if (auto s = closest_match(name, known)) message += "; did you mean \"" + *s + "\"?";
    error(key, join(path, name), message);
  }
  return true;
}

namespace {

// `walked` holds the positions of the maps and lists already seen: an alias shares its
// anchor's node (reporting its duplicates once), and may even sit inside it, a cycle.
void find_duplicate_keys(YamlReader& r, const YAML::Node& node, const std::string& path, std::set<int>& walked) {
  if (!node.IsMap() && !node.IsSequence()) return;
  if (!walked.insert(node.Mark().pos).second) return;
  if (node.IsSequence()) {
    std::size_t i = 0;
    for (const auto& item : node) find_duplicate_keys(r, item, YamlReader::index(path, i++), walked);
    return;
  }
  std::map<std::string, int> first_line;  // 1-based
  for (const auto& entry : node) {
    const YAML::Node key = entry.first;  // a copy, as in check_map
    const YAML::Node value = entry.second;
    if (!key.IsScalar()) continue;  // check_map reports it where the keys are read
    const std::string& name = key.Scalar();
    const std::string p = YamlReader::join(path, name);
    if (auto [it, inserted] = first_line.try_emplace(name, key.Mark().line + 1); !inserted) {
      r.error(key, p, "duplicate key \"" + name + "\" (first at line " + std::to_string(it->second) + ")");
    }
    find_duplicate_keys(r, value, p, walked);
  }
}

}  // namespace

void YamlReader::check_duplicate_keys(const YAML::Node& root) {
  std::set<int> walked;
  find_duplicate_keys(*this, root, "", walked);
}

bool YamlReader::scalar(const YAML::Node& map, std::string_view key, const std::string& path, std::string& text,
                        YAML::Node& node) {
  if (!map.IsMap()) return false;
  // yaml-cpp: Node::operator= assigns content, and a missing key yields a node that
  // cannot be rebound, so check before reset().
  const YAML::Node found = map[std::string(key)];
  if (!found.IsDefined()) return false;
  node.reset(found);
  if (!node.IsScalar()) {
    error(node, join(path, key), "expected a value, got " + describe_kind(node));
    return false;
  }
  text = node.Scalar();
  return true;
}

bool YamlReader::read(const YAML::Node& map, std::string_view key, const std::string& path, std::string& out) {
  std::string text;
  YAML::Node node;
  if (!scalar(map, key, path, text, node)) return false;
  out = text;
  return true;
}

bool YamlReader::read(const YAML::Node& map, std::string_view key, const std::string& path, int& out, long min,
                      long max) {
  std::int64_t v = 0;
  if (!read(map, key, path, v, min)) return false;
  if (v > max) {
    error(map[std::string(key)], join(path, key), std::to_string(v) + " is above the maximum " + std::to_string(max));
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

bool YamlReader::read(const YAML::Node& map, std::string_view key, const std::string& path, std::int64_t& out,
                      long min) {
  std::string text;
  YAML::Node node;
  if (!scalar(map, key, path, text, node)) return false;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    error(node, join(path, key), "expected an integer, got \"" + text + "\"");
    return false;
  }
  if (v < min) {
    error(node, join(path, key), std::to_string(v) + " is below the minimum " + std::to_string(min));
    return false;
  }
  out = v;
  return true;
}

bool YamlReader::read(const YAML::Node& map, std::string_view key, const std::string& path, std::size_t& out) {
  std::int64_t v = 0;
  if (!read(map, key, path, v, 1)) return false;
  out = static_cast<std::size_t>(v);
  return true;
}

bool YamlReader::read(const YAML::Node& map, std::string_view key, const std::string& path, bool& out) {
  std::string text;
  YAML::Node node;
  if (!scalar(map, key, path, text, node)) return false;
  if (text == "true") {
    out = true;
  } else if (text == "false") {
    out = false;
  } else {
    error(node, join(path, key), "expected true or false, got \"" + text + "\"");
    return false;
  }
  return true;
}

bool YamlReader::read(const YAML::Node& map, std::string_view key, const std::string& path, double& out, double min,
                      double max) {
  std::string text;
  YAML::Node node;
  if (!scalar(map, key, path, text, node)) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    error(node, join(path, key), "expected a number, got \"" + text + "\"");
    return false;
  }
  if (v < min || v > max) {
    error(node, join(path, key), text + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    return false;
  }
  out = v;
  return true;
}

bool YamlReader::read_duration(const YAML::Node& map, std::string_view key, const std::string& path, Duration& out) {
  std::string text;
  YAML::Node node;
  if (!scalar(map, key, path, text, node)) return false;
  auto d = parse_duration(text);
  if (!d) {
    error(node, join(path, key), d.error().message);
    return false;
  }
  out = *d;
  return true;
}

bool YamlReader::read_list(const YAML::Node& map, std::string_view key, const std::string& path,
                           std::vector<std::string>& out) {
  if (!map.IsMap()) return false;
  YAML::Node node = map[std::string(key)];
  if (!node.IsDefined()) return false;
  std::string p = join(path, key);
  if (!node.IsSequence()) {
    error(node, p, "expected a list, got " + describe_kind(node));
    return false;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar() || node[i].Scalar().empty()) {
      error(node[i], index(p, i), "expected a word, got " + describe_kind(node[i]));
      ok = false;
      continue;
    }
    items.push_back(node[i].Scalar());
  }
  if (ok) out = std::move(items);
  return ok;
}

bool YamlReader::read_secret(const YAML::Node& node, const std::string& path, SecretRef& out) {
  if (!node.IsScalar()) {
    error(node, path, "expected a secret reference (env:NAME, file:/path or ssm:/parameter/name), got " +
                          (node.IsScalar() ? std::string("a value") : describe_kind(node)));
    return false;
  }
  auto ref = parse_secret_ref(node.Scalar());
  if (!ref) {
    error(node, path, ref.error().message);
    return false;
  }
  out = *ref;
  return true;
}

bool YamlReader::read_enum(const YAML::Node& map, std::string_view key, const std::string& path, std::string& out,
                           const std::vector<std::string_view>& allowed) {
  std::string text;
  YAML::Node node;
  if (!scalar(map, key, path, text, node)) return false;
  for (auto a : allowed) {
    if (a == text) {
      out = text;
      return true;
    }
  }
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  std::string message = "\"" + text + "\" is not one of " + list;
  if (auto s = closest_match(text, allowed)) message += "; did you mean \"" + *s + "\"?";
  error(node, join(path, key), message);
  return false;
}

}  // namespace ghscale::config
