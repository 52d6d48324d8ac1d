// ghscale's configuration: one YAML file, parsed and validated by load_config_*()
// (loader.h). Every field has its default here, so a config names only what differs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/secret_ref.h"
#include "core/clock.h"
#include "core/labels.h"

namespace ghscale::config {

using namespace std::chrono_literals;

// Paths the daemon answers whatever the configuration (app/routes.cc): the configurable
// ones (webhook, dashboard, metrics) must not land on them, which the loader checks.
inline constexpr std::string_view kHealthPath = "/healthz";
inline constexpr std::string_view kReadyPath = "/readyz";
inline constexpr std::string_view kApiPath = "/api";            // the status API, all below it
inline constexpr std::string_view kApiV1Prefix = "/api/v1/";    // what it serves today

struct TlsConfig {
  std::string cert_file;
  std::string key_file;
};

struct ServerConfig {
  std::string address = "0.0.0.0";
  int port = 8080;  // 0 = any free port (tests)
  std::string webhook_path = "/webhook";
  // The dashboard's page (and its files below it); empty = no dashboard.
  std::string ui_path = "/ui";
  std::optional<TlsConfig> tls;
  int threads = 0;  // 0 = one per core
  // workflow_job payloads are 10-30 KB; GitHub's 25 MiB cap is for events we never act on.
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  // Request bodies held in memory across all connections until answered (503 beyond).
  std::size_t max_inflight_body_bytes = 64 * 1024 * 1024;
  int max_connections = 10000;         // at the limit, the longest-idle connection is evicted
  int max_connections_per_peer = 256;  // per remote IP address
  Duration read_timeout = 10s;   // whole request, headers and body; a new connection's first byte
  Duration idle_timeout = 75s;   // keep-alive between requests
  Duration shutdown_grace = 5s;  // in-flight requests finish within this on SIGTERM
  // The status API (/api/v1/*) and /metrics name repositories, workflows, labels and
  // runners: with a token they need `Authorization: Bearer TOKEN`; without one they answer
  // loopback clients only.
  std::optional<SecretRef> status_token;
};

struct GitHubAuth {
  enum class Kind { kPat, kApp };
  Kind kind = Kind::kPat;
  std::optional<SecretRef> token;        // pat
  std::int64_t app_id = 0;               // app
  std::optional<SecretRef> private_key;  // app: PEM
  std::int64_t installation_id = 0;      // app: 0 = discover from org or repo
  std::string org;                       // app: installation discovery
  std::string repo;                      // app: installation discovery ("owner/name")
};

struct GitHubConfig {
  std::string api_url = "https://api.github.com";  // GHES: https://HOST/api/v3
  GitHubAuth auth;
  int rate_limit_reserve = 500;  // below this many calls left, non-urgent calls wait
};

struct WebhookConfig {
  std::vector<SecretRef> secrets;  // any may match: rotation
};

struct StoreConfig {
  enum class Kind { kSqlite, kDynamoDb };
  Kind kind = Kind::kSqlite;
  std::string sqlite_path = "data/ghscale.db";  // relative to the config file's folder
  std::string dynamodb_table;
  std::string dynamodb_region;
  std::string dynamodb_endpoint_url;
  Duration retention = 168h;  // completed jobs and old actions are pruned after this
};

struct ProviderConfig {
  enum class Kind { kSim, kAwsAsg, kAwsFleet };
  Kind kind = Kind::kSim;
  std::string region;
  std::string endpoint_url;
  // aws_asg
  std::string asg_name;
  // aws_fleet
  std::string launch_template;  // name or lt-... id
  std::string launch_template_version = "$Default";
  std::vector<std::string> instance_types;
  std::vector<std::string> subnets;
  std::string spot_allocation_strategy = "price-capacity-optimized";
  std::vector<std::string> on_demand_fallback_errors = {"InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded",
                                                        "UnfulfillableCapacity"};
  // Tagged ghscale:deployment on every instance and fleet; deploy/aws/iam-policy.json lets
  // the scaler launch and terminate only what carries its role's tag of that name.
  std::string deployment = "ghscale";
  // hand-over of runner registrations (aws_*)
  std::string ssm_prefix = "/ghscale";
  // sim
  Duration boot_time = 30s;
  double spot_interruption_rate = 0.0;  // per instance-hour
};

struct PoolScope {
  enum class Kind { kOrg, kRepo, kEnterprise };
  Kind kind = Kind::kOrg;
  std::string name;  // org login, "owner/repo", or enterprise slug
};

// Idle runners kept ready from the demand ghscale sees, so a job finds a runner instead of
// waiting for a boot: ceil(coverage x job starts per second x boot seconds), at most `max`.
// The rate is the higher of the last `window` and the same window a day earlier (so the
// morning ramp is met before it starts); the boot time is the median of recent launches'.
struct WarmPoolConfig {
  bool enabled = false;
  Duration window = 15min;
  double coverage = 1.0;
  int max = 50;
};

// Instance reuse (ephemeral pools): while jobs wait because max_runners is reached, a
// busy instance is handed its next one-job registration before its job ends, and its
// bootstrap starts that runner as soon as the current one exits: the next job skips a
// shutdown and a boot. Each job still gets its own one-job registration; the machine
// (disk, caches) is shared by the jobs it serves in turn, which is why it is bounded by
// `max_jobs` and can be turned off. An instance with no next registration waiting when
// its runner exits shuts down at once, as without reuse.
struct ReuseConfig {
  bool enabled = true;
  int max_jobs = 30;  // jobs one instance serves in its life (1 = never reused)
  // Share of the jobs expected within one boot (the last 15 minutes' start rate times the
  // median boot) for which instances whose runner finished are kept as idle runners
  // instead of shutting down; rounded down, so a trickle keeps none. 0 turns it off.
  double keep = 0.5;
};

// How a pool learns of its jobs. Webhooks: workflow_job deliveries to the daemon's
// endpoint. Scale set: the daemon registers a runner scale set with GitHub's Actions
// service and long-polls its messages; no public endpoint, no webhook secret.
enum class Demand { kWebhook, kScaleSet };

struct ScaleSetConfig {
  std::string name;  // what workflows target with runs-on; empty in the file = the pool's name
  bool disable_update = false;  // the scale set's runners skip self-update
};

struct PoolConfig {
  std::string name;
  LabelSet labels;  // as written plus the implied self-hosted, os and arch labels
  std::string os = "linux";
  std::string arch = "x64";
  PoolScope scope;
  std::string runner_group = "Default";
  ProviderConfig provider;
  int min_idle = 0;
  int max_runners = 10;
  int on_demand_base = 1;
  bool ephemeral = true;
  Duration cooldown = 0ms;
  Duration idle_timeout = 5min;
  Duration min_lifetime = 5min;
  Duration boot_timeout = 5min;
  WarmPoolConfig warm_pool;
  ReuseConfig reuse;
  Demand demand = Demand::kWebhook;
  ScaleSetConfig scale_set;  // demand: scale_set only (name filled in by the loader)
};

struct ReconcileConfig {
  Duration tick = 10s;
  Duration sweep = 15min;  // as the original's rate(15 minutes)
  Duration debounce = 50ms;
  Duration lease_ttl = 30s;
  double launch_rate = 10.0;  // token bucket: launches per second per pool
  int launch_burst = 50;
  // A queued job whose delivery came this long after GitHub created it (a captured
  // delivery replayed, perhaps after the store forgot the job, or a very late one) is
  // launched for only once GitHub confirms it is queued. 0 = off.
  Duration replay_window = 1h;
};

struct LoggingConfig {
  std::string level = "info";
  std::string format = "json";
  std::string file;  // empty = stderr
};

struct MetricsConfig {
  bool enabled = true;
  std::string path = "/metrics";
};

// Dollars per instance-hour of one instance type, for the dashboard's cost.
struct InstancePriceConfig {
  double on_demand = 0;
  double spot = 0;
};

struct Config {
  std::string source_path;  // the file it came from
  ServerConfig server;
  GitHubConfig github;
  WebhookConfig webhook;
  StoreConfig store;
  std::vector<PoolConfig> pools;
  ReconcileConfig reconcile;
  LoggingConfig logging;
  MetricsConfig metrics;
  // By instance type ("default" for types not listed), over the built-in table.
  std::map<std::string, InstancePriceConfig, std::less<>> prices;
};

}  // namespace ghscale::config
