// Typed reads from yaml-cpp nodes that never throw and never stop at the first problem:
// each problem becomes a Diagnostic with the node's position, and reading goes on so a
// user sees every error of a file at once. Internal to src/config.
#pragma once

#include "config/yaml_include.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"
#include "config/secret_ref.h"
#include "core/clock.h"

namespace ghscale::config {

class YamlReader {
 public:
  YamlReader(std::string file, std::vector<Diagnostic>& out) : file_(std::move(file)), out_(out) {}

  void error(const YAML::Node& at, const std::string& path, std::string message);
  void error(const YAML::Mark& at, const std::string& path, std::string message);

  // True when node is a map; reports keys not in `known`, suggesting the closest one.
  bool check_map(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> known);
  bool check_map(const YAML::Node& node, const std::string& path, const std::vector<std::string_view>& known);

  // Reports every key repeated within one map, anywhere below root. yaml-cpp keeps both
  // entries but its lookups find the first, so the later value (usually the one meant)
  // would be ignored without a word.
  void check_duplicate_keys(const YAML::Node& root);

  // Each read_* leaves `out` unchanged when the key is absent or its value is wrong.
  // Returns true when the key was present and valid.
  bool read(const YAML::Node& map, std::string_view key, const std::string& path, std::string& out);
  bool read(const YAML::Node& map, std::string_view key, const std::string& path, int& out, long min, long max);
  bool read(const YAML::Node& map, std::string_view key, const std::string& path, std::int64_t& out, long min);
  bool read(const YAML::Node& map, std::string_view key, const std::string& path, std::size_t& out);
  bool read(const YAML::Node& map, std::string_view key, const std::string& path, bool& out);
  bool read(const YAML::Node& map, std::string_view key, const std::string& path, double& out, double min,
            double max);
  bool read_duration(const YAML::Node& map, std::string_view key, const std::string& path, Duration& out);
  bool read_list(const YAML::Node& map, std::string_view key, const std::string& path,
                 std::vector<std::string>& out);
  bool read_secret(const YAML::Node& node, const std::string& path, SecretRef& out);
  bool read_enum(const YAML::Node& map, std::string_view key, const std::string& path, std::string& out,
                 const std::vector<std::string_view>& allowed);

  static std::string join(const std::string& path, std::string_view key);
  static std::string index(const std::string& path, std::size_t i);

 private:
  // The scalar text of map[key], or an error when it is not a scalar.
  bool scalar(const YAML::Node& map, std::string_view key, const std::string& path, std::string& text,
              YAML::Node& node);

  std::string file_;
  std::vector<Diagnostic>& out_;
};

std::string describe_kind(const YAML::Node& node);

}  // namespace ghscale::config
