#include "github/commands.h"

#include <algorithm>
#include <cstdio>

#include "core/log.h"
#include "github/parse.h"

namespace ghscale::github {
namespace {

std::string quoted(std::string_view s) {
  std::string out;
  log::append_json_string(out, s);
  return out;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

Result<std::string> whoami_report(GitHubApi& api, TimePoint now, OutputFormat format) {
  auto id = api.whoami();
  if (!id) return std::move(id).error();
  auto buckets = api.rate_limit();
  if (!buckets) return std::move(buckets).error();
  std::sort(buckets->begin(), buckets->end(), [](const auto& a, const auto& b) { return a.resource < b.resource; });
  std::string out;
  if (format == OutputFormat::kJson) {
    out = "{\"auth\":" + quoted(id->auth_kind) + ",\"name\":" + quoted(id->name) + ",\"slug\":" + quoted(id->slug) +
          ",\"app_id\":" + std::to_string(id->app_id) + ",\"installation_id\":" + std::to_string(id->installation_id) +
          ",\"account\":" + quoted(id->account) + ",\"scopes\":" + quoted(id->scopes) + ",\"rate_limits\":[";
    for (std::size_t i = 0; i < buckets->size(); ++i) {
      const auto& b = (*buckets)[i];
      out += std::string(i ? "," : "") + "{\"resource\":" + quoted(b.resource) + ",\"limit\":" + std::to_string(b.limit) +
             ",\"remaining\":" + std::to_string(b.remaining) + ",\"used\":" + std::to_string(b.used) +
             ",\"reset\":" + quoted(format_iso8601(b.reset)) + "}";
    }
    return out + "]}\n";
  }
  out = "auth:  " + id->auth_kind + "\n";
  if (id->auth_kind == "app") {
    out += "app:   " + id->name + " (" + id->slug + ", id " + std::to_string(id->app_id) + ")\n";
    out += "installation: " + std::to_string(id->installation_id) + (id->account.empty() ? "" : " on " + id->account) + "\n";
  } else if (!id->scopes.empty()) {
    out += "scopes: " + id->scopes + "\n";
  }
  out += "\n" + pad("RESOURCE", 30) + pad("REMAINING", 12) + pad("LIMIT", 10) + "RESETS IN\n";
  for (const auto& b : *buckets) {
    const auto minutes = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::minutes>(b.reset - now).count());
    out += pad(b.resource, 30) + pad(std::to_string(b.remaining), 12) + pad(std::to_string(b.limit), 10) +
           std::to_string(minutes) + "m\n";
  }
  return out;
}

Result<std::string> runners_report(GitHubApi& api, const Scope& scope, OutputFormat format) {
  auto runners = api.list_runners(scope);
  if (!runners) return std::move(runners).error();
  std::string out;
  if (format == OutputFormat::kJson) {
    out = "[";
    for (std::size_t i = 0; i < runners->size(); ++i) {
      const auto& r = (*runners)[i];
      out += std::string(i ? "," : "") + "{\"id\":" + std::to_string(r.id) + ",\"name\":" + quoted(r.name) +
             ",\"os\":" + quoted(r.os) + ",\"status\":" + quoted(to_string(r.status)) +
             ",\"busy\":" + (r.busy ? "true" : "false") + ",\"labels\":[";
      for (std::size_t j = 0; j < r.labels.size(); ++j) out += std::string(j ? "," : "") + quoted(r.labels[j]);
      out += "]}";
    }
    return out + "]\n";
  }
  out = pad("ID", 12) + pad("NAME", 32) + pad("STATUS", 9) + pad("BUSY", 6) + "LABELS\n";
  for (const auto& r : *runners) {
    out += pad(std::to_string(r.id), 12) + pad(r.name, 32) + pad(std::string(to_string(r.status)), 9) +
           pad(r.busy ? "yes" : "no", 6) + joined(r.labels) + "\n";
  }
  return out;
}

Result<std::string> groups_report(GitHubApi& api, const Scope& scope, OutputFormat format) {
  auto groups = api.list_runner_groups(scope);
  if (!groups) return std::move(groups).error();
  std::string out;
  if (format == OutputFormat::kJson) {
    out = "[";
    for (std::size_t i = 0; i < groups->size(); ++i) {
      const auto& g = (*groups)[i];
      out += std::string(i ? "," : "") + "{\"id\":" + std::to_string(g.id) + ",\"name\":" + quoted(g.name) +
             ",\"default\":" + (g.is_default ? "true" : "false") + ",\"visibility\":" + quoted(g.visibility) + "}";
    }
    return out + "]\n";
  }
  out = pad("ID", 10) + pad("NAME", 32) + pad("DEFAULT", 9) + "VISIBILITY\n";
  for (const auto& g : *groups) {
    out += pad(std::to_string(g.id), 10) + pad(g.name, 32) + pad(g.is_default ? "yes" : "no", 9) + g.visibility + "\n";
  }
  return out;
}

}  // namespace ghscale::github
