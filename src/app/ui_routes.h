// GET /ui (server.ui_path: the dashboard page) and /ui/<file> (its script and style), from the files
// compiled into the binary. The page reads /api/v1/series, /api/v1/status and
// /api/v1/actions, under the status API's access rule like the page itself.
#pragma once

#include <optional>
#include <string_view>

#include "http/message.h"

namespace ghscale::app {

// `base` is server.ui_path (default "/ui"); an empty base serves no dashboard.
bool is_ui_path(std::string_view path, std::string_view base);
// The asset at `path`, or nothing when `path` is not one of the dashboard's. The page
// names its files under `base`.
std::optional<http::Response> ui_response(std::string_view path, std::string_view base);

}  // namespace ghscale::app
