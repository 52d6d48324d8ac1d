#include "config/loader.h"

#include <gtest/gtest.h>

#include "core/duration.h"
#include "core/runner_name.h"

namespace ghscale::config {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMinimal = "webhook: {secrets: [env:WEBHOOK_SECRET]}\n";

LoadResult load(const std::string& yaml) { return load_config_text(yaml, "test.yaml", "/etc/ghscale"); }

std::string errors(const LoadResult& r) { return format_all(r.errors); }

TEST(Loader, MinimalConfigGetsDefaults) {
  auto r = load(kMinimal);
  ASSERT_TRUE(r.ok()) << errors(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.server.webhook_path, "/webhook");
  EXPECT_EQ(c.server.max_body_bytes, 1024u * 1024);
  EXPECT_EQ(c.server.max_inflight_body_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(c.server.max_connections_per_peer, 256);
  EXPECT_EQ(c.github.api_url, "https://api.github.com");
  EXPECT_EQ(c.store.kind, StoreConfig::Kind::kSqlite);
  EXPECT_EQ(c.store.sqlite_path, "/etc/ghscale/data/ghscale.db");  // relative to the file's folder
  EXPECT_EQ(c.reconcile.sweep, 15min);
  EXPECT_EQ(c.reconcile.tick, 10s);
  EXPECT_EQ(c.webhook.secrets.size(), 1u);
  EXPECT_EQ(c.webhook.secrets[0].text(), "env:WEBHOOK_SECRET");
  EXPECT_TRUE(c.pools.empty());
}

TEST(Loader, PoolWithImpliedLabelsAndDefaults) {
  auto r = load(std::string(kMinimal) +
                "pools:\n"
                "  - name: gpu\n"
                "    labels: [GPU, Linux]\n"
                "    arch: arm64\n"
                "    scope: {repo: acme/app}\n"
                "    provider: {type: sim, boot_time: 45s}\n"
                "    cooldown: 60000\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  const PoolConfig& p = r.config->pools.at(0);
  EXPECT_EQ(p.labels.joined(), "arm64,gpu,linux,self-hosted");
  EXPECT_EQ(p.scope.kind, PoolScope::Kind::kRepo);
  EXPECT_EQ(p.scope.name, "acme/app");
  EXPECT_EQ(p.provider.kind, ProviderConfig::Kind::kSim);
  EXPECT_EQ(p.provider.boot_time, 45s);
  EXPECT_EQ(p.cooldown, 60s);  // plain milliseconds, as the original's settings_cooldown
  EXPECT_EQ(p.min_idle, 0);
  EXPECT_EQ(p.max_runners, 10);
  EXPECT_EQ(p.on_demand_base, 1);
  EXPECT_TRUE(p.ephemeral);
  EXPECT_EQ(p.idle_timeout, 5min);
  EXPECT_EQ(p.min_lifetime, 5min);
  EXPECT_EQ(p.boot_timeout, 5min);
  EXPECT_EQ(p.runner_group, "Default");
  EXPECT_FALSE(p.warm_pool.enabled);
}

TEST(Loader, WarmPoolReadAndChecked) {
  const std::string pool =
      "pools:\n"
      "  - name: linux\n"
      "    labels: [linux]\n"
      "    scope: {org: acme}\n"
      "    provider: {type: sim}\n";
  auto r = load(std::string(kMinimal) + pool + "    warm_pool: {enabled: true, window: 10m, coverage: 0.5, max: 8}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  const WarmPoolConfig& w = r.config->pools.at(0).warm_pool;
  EXPECT_TRUE(w.enabled);
  EXPECT_EQ(w.window, 10min);
  EXPECT_DOUBLE_EQ(w.coverage, 0.5);
  EXPECT_EQ(w.max, 8);
  auto bad = load(std::string(kMinimal) + pool + "    warm_pool: {enabled: yes please, window: 10s, coverage: -1, size: 3}\n");
  ASSERT_FALSE(bad.ok());
  const std::string e = errors(bad);
  EXPECT_NE(e.find("pools[0].warm_pool.window"), std::string::npos) << e;
  EXPECT_NE(e.find("pools[0].warm_pool.coverage"), std::string::npos) << e;
  EXPECT_NE(e.find("pools[0].warm_pool.size"), std::string::npos) << e;
  EXPECT_NE(e.find("pools[0].warm_pool.enabled"), std::string::npos) << e;
}

// GitHub refuses runner names over 64 characters, so a pool whose names could be longer
// ("ghscale-", the name, "-", an EC2 id of 19, "-r<max_jobs>") is refused at load, not
// found out on the first registration.
TEST(Loader, APoolNameThatMakesRunnerNamesOverGitHubsLimitIsRefused) {
  auto pool = [](const std::string& name, const std::string& extra = "") {
    return std::string(kMinimal) + "pools:\n  - name: " + name + "\n    labels: [linux]\n    scope: {org: acme}\n" +
           "    provider: {type: sim}\n" + extra;
  };
  const std::string at_limit(32, 'a');  // 8 + 32 + 1 + 19 + "-r30" = 64
  auto ok = load(pool(at_limit));
  ASSERT_TRUE(ok.ok()) << errors(ok);
  EXPECT_EQ(longest_runner_name(at_limit, 30), kMaxRunnerNameLength);
  auto over = load(pool(at_limit + "b"));
  ASSERT_FALSE(over.ok());
  const std::string e = errors(over);
  EXPECT_NE(e.find("pools[0].name"), std::string::npos) << e;
  EXPECT_NE(e.find("65 characters"), std::string::npos) << e;
  EXPECT_NE(e.find("at most 32"), std::string::npos) << e;
  // Fewer registrations per instance leave room for a longer name.
  EXPECT_TRUE(load(pool(at_limit + "b", "    reuse: {max_jobs: 9}\n")).ok());
  EXPECT_TRUE(load(pool(std::string(36, 'a'), "    reuse: {enabled: false}\n")).ok());
  EXPECT_FALSE(load(pool(std::string(37, 'a'), "    reuse: {enabled: false}\n")).ok());
  EXPECT_FALSE(load(pool(at_limit, "    reuse: {max_jobs: 100}\n")).ok());
}

TEST(Loader, ReuseReadAndChecked) {
  const std::string pool =
      "pools:\n"
      "  - name: linux\n"
      "    labels: [linux]\n"
      "    scope: {org: acme}\n"
      "    provider: {type: sim}\n";
  auto defaults = load(std::string(kMinimal) + pool);
  ASSERT_TRUE(defaults.ok()) << errors(defaults);
  EXPECT_TRUE(defaults.config->pools.at(0).reuse.enabled);
  EXPECT_EQ(defaults.config->pools.at(0).reuse.max_jobs, 30);
  EXPECT_DOUBLE_EQ(defaults.config->pools.at(0).reuse.keep, 0.5);
  auto r = load(std::string(kMinimal) + pool + "    reuse: {enabled: false, max_jobs: 3, keep: 0}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_FALSE(r.config->pools.at(0).reuse.enabled);
  EXPECT_EQ(r.config->pools.at(0).reuse.max_jobs, 3);
  EXPECT_DOUBLE_EQ(r.config->pools.at(0).reuse.keep, 0.0);
  auto bad = load(std::string(kMinimal) + pool + "    reuse: {enabled: sometimes, max_jobs: 0, within: 30s, keep: -1}\n");
  ASSERT_FALSE(bad.ok());
  const std::string e = errors(bad);
  EXPECT_NE(e.find("pools[0].reuse.enabled"), std::string::npos) << e;
  EXPECT_NE(e.find("pools[0].reuse.max_jobs"), std::string::npos) << e;
  EXPECT_NE(e.find("pools[0].reuse.within"), std::string::npos) << e;
  EXPECT_NE(e.find("pools[0].reuse.keep"), std::string::npos) << e;
}

TEST(Loader, ReplayWindowReadAndChecked) {
  auto defaults = load(kMinimal);
  ASSERT_TRUE(defaults.ok()) << errors(defaults);
  EXPECT_EQ(defaults.config->reconcile.replay_window, std::chrono::hours(1));
  auto off = load(std::string(kMinimal) + "reconcile: {replay_window: 0s}\n");
  ASSERT_TRUE(off.ok()) << errors(off);
  EXPECT_EQ(off.config->reconcile.replay_window.count(), 0);
  auto day = load(std::string(kMinimal) + "reconcile: {replay_window: 24h}\n");
  ASSERT_TRUE(day.ok()) << errors(day);
  EXPECT_EQ(day.config->reconcile.replay_window, std::chrono::hours(24));
  // Shorter than GitHub's own delivery lag would hold real jobs back.
  auto short_window = load(std::string(kMinimal) + "reconcile: {replay_window: 30s}\n");
  ASSERT_FALSE(short_window.ok());
  EXPECT_NE(errors(short_window).find("reconcile.replay_window"), std::string::npos) << errors(short_window);
  auto garbage = load(std::string(kMinimal) + "reconcile: {replay_window: soon}\n");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(errors(garbage).find("reconcile.replay_window"), std::string::npos) << errors(garbage);
}

TEST(Loader, UiPathReadAndChecked) {
  EXPECT_EQ(load(kMinimal).config->server.ui_path, "/ui");
  auto moved = load(std::string(kMinimal) + "server: {ui_path: /ops/dashboard}\n");
  ASSERT_TRUE(moved.ok()) << errors(moved);
  EXPECT_EQ(moved.config->server.ui_path, "/ops/dashboard");
  auto off = load(std::string(kMinimal) + "server: {ui_path: ''}\n");
  ASSERT_TRUE(off.ok()) << errors(off);
  EXPECT_TRUE(off.config->server.ui_path.empty());
  for (const char* bad : {"ui", "/", "/ui/", "/webhook", "/api/v1/ui", "/healthz"}) {
    auto r = load(std::string(kMinimal) + "server: {ui_path: '" + bad + "'}\n");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(errors(r).find("server.ui_path"), std::string::npos) << bad << ": " << errors(r);
  }
}

// The server binds with boost::asio::ip::make_address and resolves no names.
TEST(Loader, ServerAddressIsAnIpLiteral) {
  for (const char* good : {"0.0.0.0", "127.0.0.1", "::", "::1", "2001:db8::1", "fe80::1%eth0", "::ffff:10.0.0.1"}) {
    auto r = load(std::string(kMinimal) + "server: {address: '" + good + "'}\n");
    ASSERT_TRUE(r.ok()) << good << ": " << errors(r);
    EXPECT_EQ(r.config->server.address, good);
  }
  const std::string expected =
      "test.yaml:2:19: server.address: expected an IP address such as 0.0.0.0, :: or 127.0.0.1 (not a host name), got ";
  struct Case {
    const char* yaml;  // the value as written
    const char* got;
  };
  for (const Case& c : {Case{"999.1.1.1", "\"999.1.1.1\""}, Case{"1.2.3", "\"1.2.3\""},
                        Case{"localhost", "\"localhost\""}, Case{"''", "\"\""}, Case{"'[::1]'", "\"[::1]\""},
                        Case{"'127.0.0.1 '", "\"127.0.0.1 \""}, Case{"'1.2.3.4%eth0'", "\"1.2.3.4%eth0\""},
                        // make_address would stop reading at the NUL and bind 127.0.0.1.
                        Case{"\"127.0.0.1\\0x\"", "text with a control character"},
                        Case{"\"127.0.0.1\\n\"", "text with a control character"}}) {
    auto r = load(std::string(kMinimal) + "server: {address: " + c.yaml + "}\n");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(errors(r), expected + c.got + "\n") << c.yaml;
  }
}

TEST(Loader, ServerTimeoutsArePositive) {
  auto r = load(std::string(kMinimal) + "server: {read_timeout: 1ms, idle_timeout: 1s, shutdown_grace: 0s}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config->server.shutdown_grace.count(), 0);  // cut in-flight requests at once: allowed
  struct Case {
    const char* yaml;
    const char* error;
  };
  for (const Case& c :
       {Case{"server: {read_timeout: 0s}\n", "test.yaml:2:24: server.read_timeout: must be greater than 0\n"},
        Case{"server: {idle_timeout: 0}\n", "test.yaml:2:24: server.idle_timeout: must be greater than 0\n"},
        Case{"server:\n  idle_timeout: 0ms\n  read_timeout: 0h\n",
             "test.yaml:3:17: server.idle_timeout: must be greater than 0\n"
             "test.yaml:4:17: server.read_timeout: must be greater than 0\n"}}) {
    auto bad = load(std::string(kMinimal) + c.yaml);
    ASSERT_FALSE(bad.ok()) << c.yaml;
    EXPECT_EQ(errors(bad), c.error) << c.yaml;
  }
}

// The webhook is routed first: a path it shares with another endpoint hides that one, and
// the dashboard's or metrics' path on another endpoint's is never reached.
TEST(Loader, RoutesDoNotCollide) {
  for (const char* good :
       {"server: {webhook_path: /}\n", "server: {webhook_path: /api-hook, ui_path: /uix}\n",
        "server: {webhook_path: /uix}\n", "server: {webhook_path: /metrics}\nmetrics: {enabled: false}\n",
        "server: {webhook_path: /metrics}\nmetrics: {path: /stats}\n", "server: {webhook_path: /ui, ui_path: ''}\n",
        "server: {ui_path: /hooks/ui, webhook_path: /hooks}\n"}) {
    auto r = load(std::string(kMinimal) + good);
    EXPECT_TRUE(r.ok()) << good << errors(r);
  }
  struct Case {
    const char* yaml;
    const char* error;
  };
  for (const Case& c : {
           Case{"server: {webhook_path: /healthz}\n",
                "test.yaml:2:24: server.webhook_path: \"/healthz\" is taken by the health check\n"},
           Case{"server: {webhook_path: /readyz}\n",
                "test.yaml:2:24: server.webhook_path: \"/readyz\" is taken by the readiness check\n"},
           Case{"server: {webhook_path: /metrics}\n",
                "test.yaml:2:24: server.webhook_path: \"/metrics\" is taken by the metrics endpoint (metrics.path)\n"},
           Case{"server: {webhook_path: /api/v1/status}\n",
                "test.yaml:2:24: server.webhook_path: \"/api/v1/status\" is taken by the status API (/api/...)\n"},
           Case{"server: {webhook_path: /ui}\n",
                "test.yaml:2:24: server.webhook_path: \"/ui\" is taken by the dashboard (server.ui_path)\n"},
           Case{"server: {webhook_path: /ui/hook}\n",
                "test.yaml:2:24: server.webhook_path: \"/ui/hook\" is taken by the dashboard (server.ui_path)\n"},
           // The reverse of each: the same helper, whichever key the file sets.
           Case{
               "server: {ui_path: /webhook}\n",
               "test.yaml:2:19: server.ui_path: \"/webhook\" is taken by the webhook endpoint (server.webhook_path)\n"},
           Case{"server: {ui_path: /metrics}\n",
                "test.yaml:2:19: server.ui_path: \"/metrics\" is taken by the metrics endpoint (metrics.path)\n"},
           Case{"server: {ui_path: /api}\n",
                "test.yaml:2:19: server.ui_path: \"/api\" is taken by the status API (/api/...)\n"},
           Case{"metrics: {path: /webhook}\n",
                "test.yaml:2:17: metrics.path: \"/webhook\" is taken by the webhook endpoint (server.webhook_path)\n"},
           Case{"metrics: {path: /ui/metrics}\n",
                "test.yaml:2:17: metrics.path: \"/ui/metrics\" is taken by the dashboard (server.ui_path)\n"},
           Case{"metrics: {path: /healthz}\n",
                "test.yaml:2:17: metrics.path: \"/healthz\" is taken by the health check\n"},
           // Both set: the one written later is reported, naming the other's line.
           Case{"server: {ui_path: /hooks, webhook_path: /hooks/github}\n",
                "test.yaml:2:41: server.webhook_path: \"/hooks/github\" is taken by the dashboard "
                "(server.ui_path at line 2)\n"},
           Case{"server: {webhook_path: /m}\nmetrics: {path: /m}\n",
                "test.yaml:3:17: metrics.path: \"/m\" is taken by the webhook endpoint "
                "(server.webhook_path at line 2)\n"},
       }) {
    auto r = load(std::string(kMinimal) + c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(errors(r), c.error) << c.yaml;
  }
}

TEST(Loader, BootTimeoutHasAFloor) {
  auto pool = [](const std::string& provider, const std::string& boot_timeout) {
    std::string yaml = std::string(kMinimal) + "pools:\n  - name: a\n    labels: [x]\n    scope: {org: o}\n";
    yaml += "    provider: " + provider + "\n";
    if (!boot_timeout.empty()) yaml += "    boot_timeout: " + boot_timeout + "\n";
    return yaml;
  };
  const std::string asg = "{type: aws_asg, asg_name: g}";
  const std::string remote_sim = "{type: sim, endpoint_url: \"http://127.0.0.1:4567\"}";
  struct Good {
    std::string provider, boot_timeout;
  };
  for (const Good& g : {Good{asg, "30s"}, Good{asg, "24h"}, Good{remote_sim, "30s"}, Good{"{type: sim}", "31s"},
                        Good{"{type: sim, boot_time: 2s}", "30s"}, Good{"{type: sim, boot_time: 4m}", ""}}) {
    auto r = load(pool(g.provider, g.boot_timeout));
    EXPECT_TRUE(r.ok()) << g.provider << " " << g.boot_timeout << ": " << errors(r);
  }
  const std::string too_short =
      "pools[0].boot_timeout: must be at least 30s (instances would be terminated before their runner can register)\n";
  const std::string sim_why = ": every simulated instance would be terminated before its runner comes online\n";
  struct Bad {
    std::string provider, boot_timeout, error;
  };
  for (const Bad& b : {
           Bad{asg, "0s", "test.yaml:7:19: " + too_short},
           Bad{asg, "1ms", "test.yaml:7:19: " + too_short},
           Bad{remote_sim, "29s", "test.yaml:7:19: " + too_short},
           // The daemon's own simulated cloud: no runner is online before its boot_time.
           Bad{"{type: sim}", "30s",
               "test.yaml:7:19: pools[0].boot_timeout: must be longer than provider.boot_time (30s)" + sim_why},
           Bad{"{type: sim, boot_time: 45s}", "40s",
               "test.yaml:7:19: pools[0].boot_timeout: must be longer than provider.boot_time (45s)" + sim_why},
           Bad{"{type: sim, boot_time: 10m}", "",
               "test.yaml:6:38: pools[0].provider.boot_time: must be shorter than boot_timeout (5m)" + sim_why},
       }) {
    auto r = load(pool(b.provider, b.boot_timeout));
    ASSERT_FALSE(r.ok()) << b.provider << " " << b.boot_timeout;
    EXPECT_EQ(errors(r), b.error) << b.provider << " " << b.boot_timeout;
  }
}

// yaml-cpp keeps the first of two equal keys: the second, silently lost, is refused.
TEST(Loader, DuplicateKeysAreRefused) {
  struct Case {
    const char* yaml;
    const char* error;
  };
  for (const Case& c : {
           Case{"pools:\n"
                "  - name: a\n"
                "    labels: [x]\n"
                "    scope: {org: o}\n"
                "    provider: {type: sim}\n"
                "    max_runners: 1\n"
                "    max_runners: 10\n",
                "test.yaml:8:5: pools[0].max_runners: duplicate key \"max_runners\" (first at line 7)\n"},
           Case{"server: {port: 1}\nserver: {port: 2}\n",
                "test.yaml:3:1: server: duplicate key \"server\" (first at line 2)\n"},
           Case{"server: {port: 1, port: 2}\n",
                "test.yaml:2:19: server.port: duplicate key \"port\" (first at line 2)\n"},
           Case{"prices:\n  m7i.large: {on_demand: 1, spot: 1}\n  default: {on_demand: 1, spot: 1, spot: 2}\n",
                "test.yaml:4:36: prices.default.spot: duplicate key \"spot\" (first at line 4)\n"},
           Case{"webhook: {secrets: [env:OTHER]}\n",
                "test.yaml:2:1: webhook: duplicate key \"webhook\" (first at line 1)\n"},
           // An alias shares its anchor's node, here even itself: reported once, and no endless walk.
           Case{"server: &s {port: 1, port: 2}\nlogging: *s\npools: &p [*p]\n",
                "test.yaml:2:13: logging.port: unknown key \"port\"\n"
                "test.yaml:2:22: server.port: duplicate key \"port\" (first at line 2)\n"
                "test.yaml:2:22: logging.port: unknown key \"port\"\n"
                "test.yaml:4:8: pools[0]: expected a map, got a list\n"},
       }) {
    auto r = load(std::string(kMinimal) + c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(errors(r), c.error) << c.yaml;
  }
}

// YAML::Load would read the first document only and drop the others without a word.
TEST(Loader, OneYamlDocumentPerFile) {
  for (const std::string& good : {"---\n" + std::string(kMinimal), std::string(kMinimal) + "---\n",
                                  std::string(kMinimal) + "...\n", "---\n" + std::string(kMinimal) + "...\n---\n"}) {
    auto r = load(good);
    EXPECT_TRUE(r.ok()) << good << errors(r);
  }
  const std::string second =
      "a second YAML document starts here; a config file is one document, and ghscale would ignore this one\n";
  struct Case {
    std::string yaml;
    std::string error;
  };
  for (const Case& c : {
           Case{std::string(kMinimal) + "---\nserver: {port: 1}\n", "test.yaml:3:1: " + second},
           Case{std::string(kMinimal) + "---\n---\n--- 1\n", "test.yaml:4:5: " + second},
           Case{"---\n---\n" + std::string(kMinimal),
                "test.yaml:2:1: the file is empty; it needs at least webhook.secrets\ntest.yaml:3:1: " + second},
           // Its syntax is checked too, no longer skipped.
           Case{std::string(kMinimal) + "---\n[\n",
                "test.yaml:4:1: YAML syntax error: end of sequence flow not found\n"},
       }) {
    auto r = load(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(errors(r), c.error) << c.yaml;
  }
}

TEST(Loader, PricesReadAndChecked) {
  EXPECT_TRUE(load(kMinimal).config->prices.empty());
  auto r = load(std::string(kMinimal) + "prices: {m7i.large: {on_demand: 0.1008, spot: 0.035}, default: {on_demand: 0.2, spot: 0.07}}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  ASSERT_EQ(r.config->prices.size(), 2u);
  EXPECT_DOUBLE_EQ(r.config->prices.at("m7i.large").spot, 0.035);
  EXPECT_DOUBLE_EQ(r.config->prices.at("default").on_demand, 0.2);
  for (const char* bad : {"prices: [1, 2]\n", "prices: {m7i.large: {on_demand: 0.1}}\n",
                          "prices: {m7i.large: {on_demand: -1, spot: 0.03}}\n",
                          "prices: {m7i.large: {on_demand: 0.1, spot: 0.03, reserved: 0.05}}\n"}) {
    auto b = load(std::string(kMinimal) + bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(errors(b).find("prices"), std::string::npos) << bad << ": " << errors(b);
  }
}

// Every URL ghscale dials is checked alike, credentials refused and never repeated.
TEST(Loader, UrlsAreHttpWithAHostAndNoCredentials) {
  const struct {
    const char* yaml;
    const char* says;
  } cases[] = {
      {"github: {api_url: 'ftp://ghe.example.com'}\n",
       "github.api_url: is not an http:// or https:// URL (such as https://api.github.com or https://HOST/api/v3)"},
      {"github: {api_url: 'https://bot:s3cr3tpass@ghe.example.com/api/v3'}\n",
       "github.api_url: carries credentials (user:pass@): give them as a secret, never in a URL"},
      {"store: {dynamodb: {table: t, endpoint_url: 'http://127.0.0.1:99999'}}\n",
       "store.dynamodb.endpoint_url: has a port that is not a number from 1 to 65535"},
  };
  for (const auto& c : cases) {
    auto r = load(std::string(kMinimal) + c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(errors(r).find(c.says), std::string::npos) << errors(r);
    EXPECT_EQ(errors(r).find("s3cr3tpass"), std::string::npos) << errors(r);
  }
}

TEST(Loader, GitHubAppAndDynamoDb) {
  auto r = load(std::string(kMinimal) +
                "github:\n"
                "  api_url: https://ghe.example.com/api/v3/\n"
                "  auth: {app: {id: 42, private_key: 'ssm:/gh/key', installation_id: 7}}\n"
                "store: {dynamodb: {table: ghscale, region: eu-west-1}}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config->github.api_url, "https://ghe.example.com/api/v3");
  EXPECT_EQ(r.config->github.auth.kind, GitHubAuth::Kind::kApp);
  EXPECT_EQ(r.config->github.auth.app_id, 42);
  EXPECT_EQ(r.config->github.auth.private_key->text(), "ssm:/gh/key");
  EXPECT_EQ(r.config->github.auth.installation_id, 7);
  EXPECT_EQ(r.config->store.kind, StoreConfig::Kind::kDynamoDb);
  EXPECT_EQ(r.config->store.dynamodb_table, "ghscale");
}

TEST(Loader, PatShorthand) {
  auto r = load(std::string(kMinimal) + "github: {auth: {pat: env:GITHUB_TOKEN}}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config->github.auth.token->text(), "env:GITHUB_TOKEN");
}

TEST(Loader, ReportsAllErrorsInFileOrder) {
  auto r = load("logging: {format: xml}\nwebhook: {secrets: []}\nserver: {webhook_path: hook}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errors(r),
            "test.yaml:1:19: logging.format: \"xml\" is not one of json, text\n"
            "test.yaml:2:20: webhook.secrets: needs at least one secret reference\n"
            "test.yaml:3:24: server.webhook_path: must start with /\n");
}

TEST(Loader, ServerConnectionAndBodyBudgetLimits) {
  auto r = load(std::string(kMinimal) +
                "server: {max_connections_per_peer: 32, max_inflight_body_bytes: 8388608, max_body_bytes: 65536}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config->server.max_connections_per_peer, 32);
  EXPECT_EQ(r.config->server.max_inflight_body_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(r.config->server.max_body_bytes, 64u * 1024);

  auto bad = load(std::string(kMinimal) +
                  "server: {max_connections_per_peer: 0, max_inflight_body_bytes: 1000, max_body_bytes: 2000}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(errors(bad),
            "test.yaml:2:36: server.max_connections_per_peer: 0 is below the minimum 1\n"
            "test.yaml:2:64: server.max_inflight_body_bytes: max_inflight_body_bytes (1000) must be at least "
            "max_body_bytes (2000)\n");
  // A larger max_body_bytes alone is measured against the default budget.
  auto big = load(std::string(kMinimal) + "server: {max_body_bytes: 134217728}\n");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(errors(big),
            "test.yaml:2:26: server.max_body_bytes: max_inflight_body_bytes (67108864) must be at least "
            "max_body_bytes (134217728)\n");
}

TEST(Loader, BothStoresOrBothAuthsAreAmbiguous) {
  auto r = load(std::string(kMinimal) +
                "store: {sqlite: {path: a.db}, dynamodb: {table: t}}\n"
                "github: {auth: {pat: env:A, app: {id: 1}}}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errors(r),
            "test.yaml:2:8: store: choose one of sqlite or dynamodb, not both\n"
            "test.yaml:3:16: github.auth: choose one of pat or app, not both\n");
}

TEST(Loader, ProviderKeysDependOnType) {
  auto r = load(std::string(kMinimal) +
                "pools:\n"
                "  - name: a\n"
                "    labels: [x]\n"
                "    scope: {org: o}\n"
                "    provider: {type: aws_asg, asg_nme: g}\n"
                "  - name: b\n"
                "    labels: [y]\n"
                "    scope: {org: o}\n"
                "    provider: {type: aws_flet}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errors(r),
            "test.yaml:6:15: pools[0].provider.asg_name: is required for aws_asg\n"
            "test.yaml:6:31: pools[0].provider.asg_nme: unknown key \"asg_nme\"; did you mean \"asg_name\"?\n"
            "test.yaml:10:22: pools[1].provider.type: \"aws_flet\" is not one of sim, aws_asg, aws_fleet; did you "
            "mean \"aws_fleet\"?\n");
}

TEST(Loader, AwsProvidersNeedTheirGroupOrTemplate) {
  auto pool = [](const std::string& provider) {
    return std::string(kMinimal) +
           "pools:\n"
           "  - name: a\n"
           "    labels: [x]\n"
           "    scope: {org: o}\n"
           "    provider: " + provider + "\n";
  };
  auto asg = load(pool("{type: aws_asg, asg_name: runners, instance_types: [m7i.large, m6i.large]}"));
  ASSERT_TRUE(asg.ok()) << errors(asg);
  EXPECT_EQ(asg.config->pools[0].provider.asg_name, "runners");
  EXPECT_EQ(asg.config->pools[0].provider.instance_types, (std::vector<std::string>{"m7i.large", "m6i.large"}));
  auto fleet = load(pool("{type: aws_fleet, launch_template: lt-0abc, instance_types: [m7i.large]}"));
  ASSERT_TRUE(fleet.ok()) << errors(fleet);
  EXPECT_EQ(fleet.config->pools[0].provider.launch_template, "lt-0abc");
  EXPECT_EQ(fleet.config->pools[0].provider.deployment, "ghscale");
  auto named = load(pool("{type: aws_fleet, launch_template: lt-0abc, instance_types: [m7i.large], deployment: prod-ci}"));
  ASSERT_TRUE(named.ok()) << errors(named);
  EXPECT_EQ(named.config->pools[0].provider.deployment, "prod-ci");
  auto unnamed = load(pool("{type: aws_fleet, launch_template: lt-0abc, instance_types: [m7i.large], deployment: \"\"}"));
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(errors(unnamed).find("pools[0].provider.deployment: must be 1 to 128 characters"), std::string::npos) << errors(unnamed);
  auto no_template = load(pool("{type: aws_fleet, instance_types: [m7i.large]}"));
  ASSERT_FALSE(no_template.ok());
  EXPECT_NE(errors(no_template).find("pools[0].provider.launch_template: is required for aws_fleet"), std::string::npos);
  auto no_types = load(pool("{type: aws_fleet, launch_template: t}"));
  ASSERT_FALSE(no_types.ok());
  EXPECT_NE(errors(no_types).find("pools[0].provider.instance_types: is required for aws_fleet"), std::string::npos);
  auto no_group = load(pool("{type: aws_asg}"));
  ASSERT_FALSE(no_group.ok());
  EXPECT_NE(errors(no_group).find("pools[0].provider.asg_name: is required for aws_asg"), std::string::npos);
}

TEST(Loader, SimProviderEndpointMustBeLoopback) {
  auto pool = [](const std::string& url) {
    return std::string(kMinimal) +
           "pools:\n"
           "  - name: a\n"
           "    labels: [x]\n"
           "    scope: {org: o}\n"
           "    provider: {type: sim, endpoint_url: \"" + url + "\"}\n";
  };
  auto ok = load(pool("http://127.0.0.1:4567"));
  ASSERT_TRUE(ok.ok()) << errors(ok);
  EXPECT_EQ(ok.config->pools[0].provider.endpoint_url, "http://127.0.0.1:4567");
  auto bad = load(pool("https://cloud.example.com"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(errors(bad),
            "test.yaml:6:41: pools[0].provider.endpoint_url: must be a loopback http:// URL (the sandbox's simulated "
            "cloud)\n");
}

TEST(Loader, EmptyFileExplainsWhatIsNeeded) {
  auto r = load("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errors(r), "test.yaml:1:1: the file is empty; it needs at least webhook.secrets\n");
}

TEST(Loader, TopLevelMustBeAMap) {
  auto r = load("- a\n- b\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errors(r), "test.yaml:1:1: expected a map, got a list\n");
}

}  // namespace
}  // namespace ghscale::config

namespace ghscale::config {
namespace {

constexpr const char* kScaleSetPool =
    "github: {auth: {pat: env:GITHUB_TOKEN}}\n"
    "pools:\n"
    "  - name: linux\n"
    "    labels: [linux]\n"
    "    scope: {org: acme}\n"
    "    provider: {type: sim}\n";

TEST(LoaderDemand, WebhookIsTheDefaultAndNeedsItsSecret) {
  auto r = load(std::string(kMinimal) + "pools:\n  - {name: a, labels: [x], scope: {org: acme}, provider: {type: sim}}\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  EXPECT_EQ(r.config->pools.at(0).demand, Demand::kWebhook);
  EXPECT_EQ(r.config->pools.at(0).scale_set.name, "");
  // Without the webhook section a webhook pool has no way to learn of its jobs.
  auto missing = load(kScaleSetPool);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(errors(missing).find("webhook.secrets: is required"), std::string::npos) << errors(missing);
}

TEST(LoaderDemand, ScaleSetPoolsNeedNoWebhookAndNameTheirScaleSet) {
  auto r = load(std::string(kScaleSetPool) + "    demand: scale_set\n");
  ASSERT_TRUE(r.ok()) << errors(r);
  const PoolConfig& p = r.config->pools.at(0);
  EXPECT_EQ(p.demand, Demand::kScaleSet);
  EXPECT_EQ(p.scale_set.name, "linux");  // the pool's name by default
  EXPECT_FALSE(p.scale_set.disable_update);
  EXPECT_TRUE(r.config->webhook.secrets.empty());

  auto named = load(std::string(kScaleSetPool) + "    demand: scale_set\n    scale_set: {name: Big-Runners.v2, disable_update: true}\n");
  ASSERT_TRUE(named.ok()) << errors(named);
  EXPECT_EQ(named.config->pools.at(0).scale_set.name, "Big-Runners.v2");
  EXPECT_TRUE(named.config->pools.at(0).scale_set.disable_update);

  // One webhook pool among them brings the webhook section back.
  auto mixed = load(std::string(kScaleSetPool) + "    demand: scale_set\n" +
                    "  - {name: b, labels: [y], scope: {org: acme}, provider: {type: sim}}\n");
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(errors(mixed).find("webhook.secrets: is required"), std::string::npos) << errors(mixed);
}

TEST(LoaderDemand, BadValuesAreRefused) {
  auto bad = load(std::string(kScaleSetPool) + "    demand: scale-set\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(errors(bad).find("pools[0].demand: \"scale-set\" is not one of webhook, scale_set"), std::string::npos)
      << errors(bad);

  auto stray = load(std::string(kMinimal) +
                    "pools:\n  - {name: a, labels: [x], scope: {org: acme}, provider: {type: sim}, scale_set: {name: a}}\n");
  ASSERT_FALSE(stray.ok());
  EXPECT_NE(errors(stray).find("pools[0].scale_set: applies only with demand: scale_set"), std::string::npos) << errors(stray);

  auto reusable = load(std::string(kScaleSetPool) + "    demand: scale_set\n    ephemeral: false\n");
  ASSERT_FALSE(reusable.ok());
  EXPECT_NE(errors(reusable).find("pools[0].ephemeral: must be true with demand: scale_set"), std::string::npos)
      << errors(reusable);

  auto no_room = load(std::string(kScaleSetPool) + "    demand: scale_set\n    max_runners: 0\n");
  ASSERT_FALSE(no_room.ok());
  EXPECT_NE(errors(no_room).find("pools[0].max_runners: must be at least 1 with demand: scale_set"), std::string::npos)
      << errors(no_room);

  auto spaced = load(std::string(kScaleSetPool) + "    demand: scale_set\n    scale_set: {name: \"my set\"}\n");
  ASSERT_FALSE(spaced.ok());
  EXPECT_NE(errors(spaced).find("pools[0].scale_set.name: \"my set\" must be"), std::string::npos) << errors(spaced);

  auto unknown = load(std::string(kScaleSetPool) + "    demand: scale_set\n    scale_set: {nmae: x}\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(errors(unknown).find("pools[0].scale_set.nmae: unknown key"), std::string::npos) << errors(unknown);

  // Two pools on one scale set would fight over its one session (names compare case-insensitively).
  auto twice = load(std::string(kScaleSetPool) + "    demand: scale_set\n    scale_set: {name: Shared}\n" +
                    "  - {name: b, labels: [y], scope: {org: acme}, provider: {type: sim}, demand: scale_set, "
                    "scale_set: {name: shared}}\n");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(errors(twice).find("pools[1].scale_set.name: scale set \"shared\" is already pools[0]'s"), std::string::npos)
      << errors(twice);
}

}  // namespace
}  // namespace ghscale::config
