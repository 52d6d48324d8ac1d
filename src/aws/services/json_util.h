// Small readers of the JSON values the protocol layer returns, for the typed clients.
// Missing or mistyped fields read as empty/zero: AWS adds fields, and a typed client
// must not fail on a field it does not use. Internal to src/aws.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace ghscale::aws::services {

const boost::json::object& empty_object();
const boost::json::object& obj(const boost::json::value& v, std::string_view key);
const boost::json::array& arr(const boost::json::value& v, std::string_view key);
std::string str(const boost::json::value& v, std::string_view key);
std::int64_t num(const boost::json::value& v, std::string_view key, std::int64_t fallback = 0);
bool flag(const boost::json::value& v, std::string_view key, bool fallback = false);
TimePoint time(const boost::json::value& v, std::string_view key);  // epoch seconds → TimePoint
boost::json::array string_array(const std::vector<std::string>& items);

}  // namespace ghscale::aws::services
