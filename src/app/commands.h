// The CLI's commands, each a function from parsed options to an exit code.
#pragma once

#include <cstddef>
#include <string>

namespace ghscale::app {

struct ServeOptions {
  std::string config_path;
};
int run_serve(const ServeOptions& options);

int run_config_check(const std::string& path, bool quiet);

int run_version(bool json);

struct SettingsOptions {
  std::string config_path;
  bool set = false;
  std::string name;
  std::string value;
};
int run_settings(const SettingsOptions& options);

struct JobsOptions {
  std::string config_path;
  std::string state;  // empty = all
  std::size_t limit = 100;
  bool json = false;
};
int run_jobs(const JobsOptions& options);

struct ActionsOptions {
  std::string config_path;
  std::size_t last = 20;
  bool json = false;
};
int run_actions(const ActionsOptions& options);

struct GitHubOptions {
  std::string config_path;
  std::string command;  // whoami, runners, groups
  std::string pool;     // runners, groups: the pool whose scope to use (default: the first)
  bool json = false;
};
int run_github(const GitHubOptions& options);

struct AwsWhoamiOptions {
  std::string region;        // empty = AWS_REGION, profile, IMDS
  std::string endpoint_url;  // empty = AWS_ENDPOINT_URL[_<SERVICE>] or the partition's
  bool json = false;
};
int run_aws_whoami(const AwsWhoamiOptions& options);

struct StatusOptions {
  std::string config_path;  // the daemon's address comes from server.* ...
  std::string url;          // ... unless given: http://HOST:PORT
  bool json = false;
};
int run_status(const StatusOptions& options);

}  // namespace ghscale::app
