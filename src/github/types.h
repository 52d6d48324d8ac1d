// Value types of the GitHub layer: what the scaler reads from and hands to GitHub's
// REST API, flattened to the fields ghscale uses. No JSON or transport types here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace ghscale::github {

// Where runners live: an organisation, a repository ("owner/name") or an enterprise.
struct Scope {
  enum class Kind { kOrg, kRepo, kEnterprise };
  Kind kind = Kind::kOrg;
  std::string name;

  // The REST path prefix: "orgs/acme", "repos/acme/app", "enterprises/big".
  std::string path() const;
  // "org acme" — for messages.
  std::string describe() const;
  friend bool operator==(const Scope&, const Scope&) = default;
};

enum class RunnerStatus { kOnline, kOffline };
std::string_view to_string(RunnerStatus status);

struct Runner {
  std::int64_t id = 0;
  std::string name;
  std::string os;
  RunnerStatus status = RunnerStatus::kOffline;
  bool busy = false;
  std::vector<std::string> labels;
};

struct RunnerGroup {
  std::int64_t id = 0;
  std::string name;
  bool is_default = false;
  std::string visibility;  // "all", "selected", "private"
};

// A registration or remove token. A secret: registered with log::add_secret on receipt.
struct Token {
  std::string token;
  TimePoint expires_at{};
};

struct JitConfigRequest {
  std::string name;
  std::int64_t runner_group_id = 1;  // 1 is GitHub's Default group
  std::vector<std::string> labels;   // at least one, at most 100
  std::string work_folder = "_work";
};

// The JIT config is a secret (it registers a runner); the runner is GitHub's new record.
struct JitConfig {
  Runner runner;
  std::string encoded_jit_config;
};

struct WorkflowJob {
  std::int64_t id = 0;
  std::int64_t run_id = 0;
  std::string name;
  std::string workflow_name;
  std::string status;      // queued, in_progress, completed, waiting, requested, pending
  std::string conclusion;  // empty until completed
  std::vector<std::string> labels;
  std::int64_t runner_id = 0;
  std::string runner_name;
  std::int64_t runner_group_id = 0;
  std::string runner_group_name;
  std::optional<TimePoint> created_at;
  std::optional<TimePoint> started_at;    // GitHub sets it when a runner picks the job up
  std::optional<TimePoint> completed_at;  // null until completed
};

struct WorkflowRun {
  std::int64_t id = 0;
  std::string name;
  std::string status;
  std::string repository;  // "owner/name"
  std::optional<TimePoint> created_at;
};

// One webhook delivery as the App's hook log records it.
struct HookDelivery {
  std::int64_t id = 0;
  std::string guid;  // X-GitHub-Delivery
  TimePoint delivered_at{};
  bool redelivery = false;
  std::string status;  // "OK", "Invalid HTTP Response: 503", ...
  int status_code = 0;
  std::string event;
  std::string action;
  std::int64_t installation_id = 0;
  std::int64_t repository_id = 0;
};

// One rate-limit bucket ("core", "actions_runner_registration", ...).
struct RateLimitBucket {
  std::string resource;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t used = 0;
  TimePoint reset{};
};

// Who the credentials are (for `ghscale github whoami`).
struct Identity {
  std::string auth_kind;  // "pat" or "app"
  std::string name;       // App name, or "personal access token"
  std::string slug;       // App slug; empty for a PAT
  std::int64_t app_id = 0;
  std::int64_t installation_id = 0;
  std::string account;  // installation's account login
  std::string scopes;   // classic PAT scopes (X-OAuth-Scopes); empty otherwise
};

}  // namespace ghscale::github
