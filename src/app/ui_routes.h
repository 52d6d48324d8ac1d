// GET /ui (the dashboard page) and /ui/<file> (its script and style), from the files
// compiled into the binary. The page reads /api/v1/series, /api/v1/status and
// /api/v1/actions, under the status API's access rule like the page itself.
#pragma once

#include <optional>
#include <string_view>

#include "http/message.h"

namespace ghscale::app {

constexpr std::string_view kUiPath = "/ui";

bool is_ui_path(std::string_view path);
// The asset at `path`, or nothing when `path` is not one of the dashboard's.
std::optional<http::Response> ui_response(std::string_view path);

}  // namespace ghscale::app
