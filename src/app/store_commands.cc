// CLI commands that read or edit the store: settings, jobs, actions.
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>

#include "app/api_json.h"
#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/table.h"
#include "app/open_store.h"
#include "config/loader.h"
#include "core/duration.h"

namespace ghscale::app {
namespace {

// Settings the CLI knows, by their short name; stored under the original's item names.
struct KnownSetting {
  std::string_view name;
  std::string_view stored_as;
  std::string_view help;
};
constexpr KnownSetting kSettings[] = {
    {"cooldown", "settings_cooldown", "milliseconds (or a duration like 60s); overrides every pool's cooldown"},
};

const KnownSetting* find_setting(std::string_view name) {
  for (const auto& s : kSettings) {
    if (s.name == name || s.stored_as == name) return &s;
  }
  return nullptr;
}

// Loads the config and opens the existing store; prints the problem and returns the exit
// code otherwise.
int with_store(const std::string& config_path, const std::function<int(store::Store&)>& fn) {
  auto loaded = config::load_config_file(config_path);
  if (!loaded.ok()) {
    std::cerr << config::format_all(loaded.errors);
    return kExitUsage;
  }
  auto st = open_store(*loaded.config, StoreUse::kExisting);
  if (!st) {
    std::cerr << "ghscale: " << st.error().message << "\n";
    return kExitFailure;
  }
  int code = fn(**st);
  (void)(*st)->close();
  return code;
}


}  // namespace

int run_settings(const SettingsOptions& o) {
  const KnownSetting* setting = find_setting(o.name);
  if (setting == nullptr) {
    std::cerr << "ghscale: unknown setting \"" << o.name << "\"; known settings:";
    for (const auto& s : kSettings) std::cerr << " " << s.name;
    std::cerr << "\n";
    return kExitUsage;
  }
  std::string stored_value;
  if (o.set) {
    auto d = parse_duration(o.value);
    if (!d) {
      std::cerr << "ghscale: " << setting->name << ": " << d.error().message << "\n";
      return kExitUsage;
    }
    stored_value = std::to_string(d->count());
  }
  return with_store(o.config_path, [&](store::Store& s) {
    if (o.set) {
      if (auto st = s.set_setting(setting->stored_as, stored_value); !st) {
        std::cerr << "ghscale: " << st.error().message << "\n";
        return kExitFailure;
      }
      std::cout << setting->name << " = " << stored_value << " ms\n";
      return kExitOk;
    }
    auto v = s.get_setting(setting->stored_as);
    if (!v) {
      std::cerr << "ghscale: " << v.error().message << "\n";
      return kExitFailure;
    }
    if (!v->has_value()) {
      std::cout << setting->name << " is not set (each pool's configured cooldown applies)\n";
    } else {
      std::cout << setting->name << " = " << **v << " ms\n";
    }
    return kExitOk;
  });
}

int run_jobs(const JobsOptions& o) {
  store::JobFilter filter;
  filter.limit = o.limit;
  if (!o.state.empty()) {
    auto st = parse_job_status(o.state);
    if (!st || o.state == "pending" || o.state == "requested") {
      std::cerr << "ghscale: unknown state \"" << o.state << "\"; use waiting, queued, in_progress or completed\n";
      return kExitUsage;
    }
    filter.status = *st;
  }
  return with_store(o.config_path, [&](store::Store& s) {
    auto jobs = s.list_jobs(filter);
    if (!jobs) {
      std::cerr << "ghscale: " << jobs.error().message << "\n";
      return kExitFailure;
    }
    if (o.json) {
      std::cout << jobs_json(*jobs) << "\n";
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& j : *jobs) {
      rows.push_back({std::to_string(j.job_id), std::string(to_string(j.status)), j.repository, j.labels.joined(),
                      j.runner_name.empty() ? "-" : j.runner_name, iso8601(j.created_at)});
    }
    std::cout << render_table({"JOB", "STATUS", "REPOSITORY", "LABELS", "RUNNER", "CREATED"}, rows);
    return kExitOk;
  });
}

int run_actions(const ActionsOptions& o) {
  return with_store(o.config_path, [&](store::Store& s) {
    auto actions = s.last_actions(o.last);
    if (!actions) {
      std::cerr << "ghscale: " << actions.error().message << "\n";
      return kExitFailure;
    }
    if (o.json) {
      std::cout << actions_json(*actions) << "\n";
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : *actions) {
      rows.push_back({iso8601(a.at), a.pool, std::string(to_string(a.kind)), std::to_string(a.count), a.result, a.reason});
    }
    std::cout << render_table({"TIME", "POOL", "ACTION", "COUNT", "RESULT", "REASON"}, rows);
    return kExitOk;
  });
}

}  // namespace ghscale::app
