// Internals shared by the fake's dispatcher (fake_aws.cc) and its service handlers
// (fake_services.cc).
#pragma once

#include <boost/json.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <random>

#include "aws/protocol/shape_model.h"
#include "fakes/aws/fake_aws.h"
#include "http/server.h"

namespace ghscale::fakes {

struct ApiFailure {
  int status = 400;
  std::string code;
  std::string message;
};

struct Outcome {
  boost::json::value output;
  std::optional<ApiFailure> error;
  static Outcome ok(boost::json::value v) { return {std::move(v), std::nullopt}; }
  static Outcome fail(int status, std::string code, std::string message) {
    return {boost::json::object(), ApiFailure{status, std::move(code), std::move(message)}};
  }
};

struct Identity {
  std::string secret;
  std::string session_token;  // required when set
  std::string arn;
  std::string user_id;
};

struct CallContext {
  std::string service;  // model file stem: "ec2"
  std::string operation;
  std::string access_key_id;  // empty for unsigned calls
};

struct FakeAws::Impl {
  FakeAwsOptions options;
  std::map<std::string, aws::protocol::ServiceModel> models;  // by file stem
  std::unique_ptr<http::Server> server;

  mutable std::mutex mu;  // guards everything below
  std::map<std::string, Identity> identities;
  Duration clock_offset{0};
  std::map<std::string, FakeGroup> groups;
  std::map<std::string, FakeInstance> instances;
  std::vector<std::string> instance_order;                        // launch order
  std::map<std::string, std::vector<std::string>> client_tokens;  // RunInstances idempotency
  std::map<std::string, boost::json::value> fleet_tokens;         // CreateFleet idempotency: the first answer
  std::map<std::string, FakeLaunchTemplate> launch_templates;     // by name
  std::vector<std::string> request_log;                           // with options.record_requests
  std::map<std::string, FakeParameter> parameters;
  std::vector<FakeEvent> events;
  std::vector<std::string> failing_event_sources;
  std::vector<std::string> lifecycle_actions;
  struct Activity {
    std::string id, group, status, description, cause;
    TimePoint start;
  };
  std::deque<Activity> activities;  // newest first
  Duration describe_lag{0};
  bool describe_lag_varies = false;
  std::mt19937_64 lag_rng{20260};
  Duration tag_delay{0};
  bool market_swap = false;          // spot asked, on-demand placed
  bool market_swap_to_spot = false;  // on-demand asked, spot placed
  Weather weather;
  std::uint64_t weather_requests = 0;  // answered since set_weather, for its storms
  int storm_hits = 0;                  // requests the storms refused since set_weather
  // (tag key, value) -> the most live instances carrying it at once.
  std::map<std::pair<std::string, std::string>, int> peak_live_by_tag;
  // Each group as it was after every change, oldest first, for lagging describes.
  std::map<std::string, std::deque<std::pair<TimePoint, FakeGroup>>> group_history;
  std::vector<Fault> faults;
  std::map<std::string, int> counts;
  std::vector<std::string> rejections;
  std::uint64_t next_id = 1;
  std::uint64_t next_request = 1;

  TimePoint now() const;                                             // real time + clock_offset (caller holds mu)
  std::string new_id(std::string_view prefix, int hex_digits = 17);  // caller holds mu
  // Launches one instance (caller holds mu).
  FakeInstance& launch(const std::string& type, bool spot, const std::string& launch_template,
                       const std::vector<std::pair<std::string, std::string>>& tags, const std::string& group);
  // Brings a group to its desired capacity (caller holds mu).
  void reconcile_group(FakeGroup& group, const std::string& cause);
  bool spot_capacity_fault(std::string_view operation);  // consumes a kInsufficientCapacity fault
  struct Shortage {
    std::string code;  // empty: no fault applies
    int placed = 0;    // instances placed before the error (partial capacity)
  };
  // Consumes a kInsufficientCapacity fault hitting `operation` for `market` ("spot" or
  // "on-demand").
  Shortage capacity_fault(std::string_view operation, std::string_view market);
  // How many of `count` spot instances a launch places now under the weather (partial_spot).
  std::int64_t spot_placeable(std::int64_t count) const;
  // The group as DescribeAutoScalingGroups shows it now: as it was describe_lag ago.
  const FakeGroup& described_group(const FakeGroup& current) const;
  // DescribeInstances' view of an instance: nullopt before it is visible, without tags
  // before they apply.
  std::optional<FakeInstance> described_instance(const FakeInstance& i) const;

  Outcome handle(const CallContext& ctx, const boost::json::value& input);
  http::Response serve(const http::Request& request);
};

// Handlers per service (fake_services.cc). Caller holds mu.
Outcome handle_autoscaling(FakeAws::Impl& s, const CallContext& ctx, const boost::json::object& in);
Outcome handle_ec2(FakeAws::Impl& s, const CallContext& ctx, const boost::json::object& in);
Outcome handle_ssm(FakeAws::Impl& s, const CallContext& ctx, const boost::json::object& in);
Outcome handle_events(FakeAws::Impl& s, const CallContext& ctx, const boost::json::object& in);
Outcome handle_sts(FakeAws::Impl& s, const CallContext& ctx, const boost::json::object& in);

}  // namespace ghscale::fakes
