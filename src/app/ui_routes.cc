#include "app/ui_routes.h"

#include <string>

#include "app/ui_assets.h"

namespace ghscale::app {

bool is_ui_path(std::string_view path) {
  return path == kUiPath ||
         (path.size() > kUiPath.size() && path.substr(0, kUiPath.size()) == kUiPath && path[kUiPath.size()] == '/');
}

std::optional<http::Response> ui_response(std::string_view path) {
  if (!is_ui_path(path)) return std::nullopt;
  std::string_view name = path.substr(kUiPath.size());
  if (!name.empty()) name.remove_prefix(1);  // the '/'
  if (name.empty()) name = "index.html";
  for (const auto& asset : ui_assets()) {
    if (asset.name != name) continue;
    auto r = http::Response::text(200, std::string(asset.body), std::string(asset.content_type));
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
