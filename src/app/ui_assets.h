// The dashboard's static files (src/app/ui), compiled into the binary by
// src/app/ui/embed.cmake: no files beside the binary, no CDN at run time.
#pragma once

#include <string_view>
#include <vector>

namespace ghscale::app {

struct UiAsset {
  std::string_view name;  // "index.html", "dashboard.js", ...
  std::string_view content_type;
  std::string_view body;
};

const std::vector<UiAsset>& ui_assets();

}  // namespace ghscale::app
