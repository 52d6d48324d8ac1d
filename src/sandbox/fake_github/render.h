// GitHub's JSON shapes as the fake answers them: every property the OpenAPI description
// requires, filled with plausible values derived from the fake's state.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "sandbox/fake_github/fake_github.h"

namespace ghscale::fake_github::render {

std::string iso8601(TimePoint t);
boost::json::object user(const std::string& login, std::int64_t id, const std::string& type);
boost::json::object minimal_repository(const std::string& full_name, std::int64_t id);
boost::json::object runner(const FakeRunner& r, const std::string& group_name);
boost::json::object runner_group(std::int64_t id, const std::string& name, bool is_default, const std::string& scope_url);
// `created`: the times of a job or run that has none of its own.
boost::json::object job(const FakeJob& j, const std::string& base_url, TimePoint created);
boost::json::object run(const FakeRun& r, std::int64_t repo_id, const std::string& base_url, TimePoint created);
boost::json::object installation(std::int64_t id, std::int64_t app_id, const std::string& slug, const std::string& account,
                                 const std::string& base_url, TimePoint created);
boost::json::object app(std::int64_t id, const std::string& slug, TimePoint created);
boost::json::object delivery(const FakeDelivery& d);
boost::json::object rate_limit(std::int64_t limit, std::int64_t remaining, std::int64_t reset_epoch);
boost::json::object error(const std::string& message);

}  // namespace ghscale::fake_github::render
