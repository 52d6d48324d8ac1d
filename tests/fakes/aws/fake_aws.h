// A fake AWS endpoint on 127.0.0.1 for tests: Auto Scaling, EC2, SSM, EventBridge and STS
// with in-memory state. It checks SigV4 signatures (recomputed with ghscale's Signer from
// the request as received), rejects operations and parameters the full botocore models
// (../shared/testdata/aws-models) do not know, and injects faults. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace ghscale::fakes {

struct FakeAwsOptions {
  std::filesystem::path models_dir;  // holds <service>.service-2.json
  std::string region = "us-east-1";
  std::string account = "123456789012";
  // Long-term keys the fake accepts: access key id → secret.
  std::map<std::string, std::string> credentials = {{"AKIDFAKEEXAMPLE", "fake/secret/key"}};
  bool verify_signatures = true;
  // Keep every request as received (headers and body) for requests(): tests that prove a
  // secret went nowhere but where it belongs.
  bool record_requests = false;
  std::uint16_t port = 0;
  int threads = 4;
};

struct FakeInstance {
  std::string id;
  std::string instance_type = "t3.micro";
  std::string state = "running";
  std::string lifecycle;  // "spot" or "" (on-demand)
  std::string subnet_id = "subnet-fake1";
  std::string image_id = "ami-fake";
  std::string private_ip;
  std::string launch_template;
  std::string group;  // Auto Scaling group, if any
  bool protected_from_scale_in = false;
  std::string asg_lifecycle_state = "InService";
  TimePoint launch_time;
  std::vector<std::pair<std::string, std::string>> tags;
  // Eventual consistency (see FakeAws::set_describe_lag and set_tag_delay): before
  // visible_at DescribeInstances does not list the instance; before tags_at it lists it
  // without tags. The zero time point: at once.
  TimePoint visible_at{};
  TimePoint tags_at{};
};

struct FakeGroup {
  std::string name;
  int min_size = 0;
  int max_size = 10;
  int desired_capacity = 0;
  std::string launch_template = "runner-template";
  int on_demand_base = 1;  // the first N instances on-demand, the rest spot
  std::vector<std::string> instance_ids;
  // MixedInstancesPolicy overrides; empty = the group uses its launch template alone.
  std::vector<std::string> instance_types;
  int on_demand_percentage_above_base = 0;
  std::string spot_allocation_strategy = "price-capacity-optimized";
  // Tags of the group, propagated to the instances it launches.
  std::vector<std::pair<std::string, std::string>> tags;
  // While set, a raised desired capacity launches nothing until release_launches(): the
  // time real EC2 Auto Scaling takes before new instances are listed in the group.
  bool hold_launches = false;
};

struct FakeLaunchTemplate {
  std::string id;  // "lt-..." (made up when empty)
  std::string name;
  std::int64_t version = 1;  // the default (and latest) version
  std::string instance_type;
  std::string user_data;  // raw; served base64-encoded as EC2 does
};

struct FakeParameter {
  std::string name;
  std::string type;
  std::string value;
  std::int64_t version = 1;
  TimePoint last_modified;
};

struct FakeEvent {
  std::string source;
  std::string detail_type;
  std::string detail;
  std::string event_bus_name;
};

struct Fault {
  enum class Kind {
    kThrottle,              // the service's throttling error
    kInternalError,         // HTTP 500 InternalError
    kSlow,                  // answer after `delay`
    kInsufficientCapacity,  // spot launches fail with InsufficientInstanceCapacity (operation
                            // "RunInstances", "CreateFleet", or "AutoScaling" for group launches)
    kExpiredToken,          // ExpiredToken / ExpiredTokenException
    kBadBody,               // HTTP 200 with `body` as the answer (a body the client cannot read)
  };
  Kind kind = Kind::kThrottle;
  std::string operation;  // "" = any operation
  int times = 1;          // how many requests it hits; -1 = until cleared
  Duration delay{0};
  // kInsufficientCapacity: which launches fail ("spot", "on-demand" or "any"; "" = spot),
  // and the error code given ("" = InsufficientInstanceCapacity).
  std::string market;
  std::string code;
  // kInsufficientCapacity on CreateFleet: partial capacity, this many of the market's
  // instances are placed before the error applies to the rest.
  int placed = 0;
  std::string body;  // kBadBody
  // kInternalError: the request takes effect first and only its answer is lost (a client
  // that retries must not do twice what it asked once).
  bool after_effect = false;
};

// Recurring rudeness, as real AWS has it on a bad day (set_weather). Deterministic, so a
// failing test replays: the requests the fake answers are counted over every operation,
// and in each run of `period` of them the first `throttles` get the service's throttling
// error and the next `errors` a 500 (a client with 3 attempts rides out throttles +
// errors <= 2 when nothing else calls in between). Every answer comes `slow` late (real
// time). With partial_spot, a spot launch places half of what it asks, rounded up: CreateFleet
// reports InsufficientInstanceCapacity for the rest, and a group owes it, placing half of
// what it still owes at each later DescribeAutoScalingGroups and advance(). Injected
// faults (inject) come first.
struct Weather {
  int period = 0;  // 0: no storms
  int throttles = 0;
  int errors = 0;
  Duration slow{0};
  bool partial_spot = false;
};

class FakeAws {
 public:
  static Result<std::unique_ptr<FakeAws>> start(FakeAwsOptions options);
  ~FakeAws();
  FakeAws(const FakeAws&) = delete;
  FakeAws& operator=(const FakeAws&) = delete;

  std::uint16_t port() const;
  std::string endpoint() const;  // "http://127.0.0.1:PORT"
  void shutdown();

  // Credentials
  void add_credentials(const std::string& access_key_id, const std::string& secret,
                       const std::string& session_token = {});
  // The server's clock runs this far ahead of the real one (for skew tests).
  void set_clock_offset(Duration offset);

  // State
  void add_group(FakeGroup group);  // launches instances up to desired_capacity
  std::optional<FakeGroup> group(const std::string& name) const;
  void release_launches(const std::string& group);  // clears hold_launches and launches what is due
  void add_launch_template(FakeLaunchTemplate launch_template);
  std::vector<FakeInstance> instances() const;
  std::optional<FakeInstance> instance(const std::string& id) const;
  void add_instance(FakeInstance instance);
  // An instance ends outside the APIs: its own `shutdown -h` under the launch template's
  // terminate shutdown behaviour, or a spot reclaim. It is terminated at once, and a group
  // it belonged to replaces it to keep its desired capacity, as EC2 Auto Scaling does
  // for an instance its health check finds terminated (here without the check's delay).
  // False when the instance is unknown or already gone.
  bool end_instance(const std::string& id, const std::string& cause);
  void put_parameter(const std::string& name, const std::string& value, const std::string& type = "String");
  std::optional<FakeParameter> parameter(const std::string& name) const;
  std::vector<FakeEvent> events() const;
  // PutEvents entries with this Source fail (partial failure).
  void fail_events_from(const std::string& source);
  std::vector<std::string> completed_lifecycle_actions() const;  // "group/hook/instance/result"

  // Rudeness of real AWS, off by default.
  // DescribeInstances lists an instance launched through the APIs only `lag` after its
  // launch, and DescribeAutoScalingGroups answers each group as it was `lag` ago (desired
  // capacity and members); other calls see the current state. With `varies`, each
  // instance's lag is drawn anew between zero and `lag` (seeded), so instances show up in
  // another order than they were launched.
  void set_describe_lag(Duration lag, bool varies = false);
  // Tags given at launch (and group tags propagated to instances) apply `delay` later.
  void set_tag_delay(Duration delay);
  // Spot asked, on-demand given: every spot launch (RunInstances, CreateFleet, groups)
  // places an on-demand instance, and CreateFleet says so in its answer. The other way
  // round with on_demand_to_spot: every on-demand launch places a spot instance.
  void set_market_swap(bool spot_to_on_demand, bool on_demand_to_spot = false);
  // Throttling bursts, 5xx storms, slow answers and partial capacity (Weather above);
  // set_weather({}) ends them.
  void set_weather(Weather weather);
  // Since set_weather: the requests counted for its storms, and those it refused.
  struct WeatherSeen {
    int requests = 0;
    int refused = 0;
  };
  WeatherSeen weather_seen() const;
  // Moves the fake's clock forward (the lag and delays above run on it); keep the total
  // under 5 minutes, beyond which SigV4 signatures look expired.
  void advance(Duration d);
  // Instances not terminated or shutting down, by the fake's own record (never lagging).
  int live_instances() const;
  // The most instances carrying the tag key=value that were live at once, by the fake's own
  // record (tags count from the launch that gave them, whatever set_tag_delay says; a
  // group's instances carry aws:autoscaling:groupName=<group>). Peaks are reached only at
  // launches, where it is updated under the fake's lock: no instant is missed.
  int peak_live(const std::string& tag_key, const std::string& tag_value) const;

  // Faults
  void inject(Fault fault);
  void clear_faults();

  // Observations
  int request_count(const std::string& operation) const;  // answered requests, faults included
  std::vector<std::string> rejections() const;            // why requests were refused (signature, unknown parameter...)
  // With FakeAwsOptions::record_requests: every request as received, "METHOD TARGET\n"
  // then "Name: value" header lines, a blank line and the body.
  std::vector<std::string> requests() const;

  struct Impl;

 private:
  explicit FakeAws(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ghscale::fakes
