#include "app/ui_routes.h"

#include <string>

#include "app/ui_assets.h"

namespace ghscale::app {

namespace {

// The page is written for /ui; under another base its references to its own files follow.
constexpr std::string_view kWrittenFor = "\"/ui/";

std::string rebased(std::string_view body, std::string_view base) {
  std::string out(body);
  if (base == "/ui") return out;
  const std::string to = "\"" + std::string(base) + "/";
  for (std::size_t at = out.find(kWrittenFor); at != std::string::npos; at = out.find(kWrittenFor, at + to.size())) {
    out.replace(at, kWrittenFor.size(), to);
  }
  return out;
}

}  // namespace

bool is_ui_path(std::string_view path, std::string_view base) {
  if (base.empty()) return false;
  return path == base || (path.size() > base.size() && path.substr(0, base.size()) == base && path[base.size()] == '/');
}

std::optional<http::Response> ui_response(std::string_view path, std::string_view base) {
  if (!is_ui_path(path, base)) return std::nullopt;
  std::string_view name = path.substr(base.size());
  if (!name.empty()) name.remove_prefix(1);  // the '/'
  if (name.empty()) name = "index.html";
  for (const auto& asset : ui_assets()) {
    if (asset.name != name) continue;
    auto r = http::Response::text(200, name == "index.html" ? rebased(asset.body, base) : std::string(asset.body),
                                  std::string(asset.content_type));
    // Everything the page runs is in the binary: nothing from elsewhere may load.
    r.headers.set("Content-Security-Policy",
                  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'");
    r.headers.set("X-Content-Type-Options", "nosniff");
    r.headers.set("Cache-Control", "no-cache");
    return r;
  }
  return http::Response::error(404, "not found");
}

}  // namespace ghscale::app
