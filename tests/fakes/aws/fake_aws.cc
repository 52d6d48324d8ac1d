#include "fakes/aws/fake_aws.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "aws/encoding.h"
#include "aws/request.h"
#include "aws/sigv4.h"
#include "aws/timestamp.h"
#include "fakes/aws/fake_impl.h"
#include "fakes/aws/wire.h"

namespace ghscale::fakes {

namespace json = boost::json;

namespace {

constexpr const char* kServedServices[] = {"autoscaling", "ec2", "ssm", "events", "sts"};

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

struct AuthHeader {
  std::string access_key_id, date, region, service, signed_headers, signature;
};

std::optional<AuthHeader> parse_authorization(std::string_view v) {
  constexpr std::string_view kAlg = "AWS4-HMAC-SHA256 ";
  if (v.substr(0, kAlg.size()) != kAlg) return std::nullopt;
  v.remove_prefix(kAlg.size());
  AuthHeader a;
  std::string credential;
  while (!v.empty()) {
    const auto comma = v.find(',');
    std::string_view part = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "Credential")
      credential = std::string(value);
    else if (key == "SignedHeaders")
      a.signed_headers = std::string(value);
    else if (key == "Signature")
      a.signature = std::string(value);
  }
  // AKID/20150830/us-east-1/iam/aws4_request
  std::vector<std::string> scope;
  std::string_view c = credential;
  while (!c.empty()) {
    const auto slash = c.find('/');
    scope.emplace_back(c.substr(0, slash));
    c = slash == std::string_view::npos ? std::string_view() : c.substr(slash + 1);
  }
  if (scope.size() != 5 || scope[4] != "aws4_request" || a.signed_headers.empty() || a.signature.empty()) {
    return std::nullopt;
  }
  a.access_key_id = scope[0];
  a.date = scope[1];
  a.region = scope[2];
  a.service = scope[3];
  return a;
}

Result<TimePoint> parse_amz_date(std::string_view s) {
  // 20150830T123600Z → 2015-08-30T12:36:00Z
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return make_error(ErrorKind::kInvalid, "bad X-Amz-Date");
  std::string iso = std::string(s.substr(0, 4)) + "-" + std::string(s.substr(4, 2)) + "-" +
                    std::string(s.substr(6, 2)) + "T" + std::string(s.substr(9, 2)) + ":" +
                    std::string(s.substr(11, 2)) + ":" + std::string(s.substr(13, 2)) + "Z";
  return aws::parse_iso8601(iso);
}

std::string throttle_code(const std::string& service) {
  if (service == "ec2") return "RequestLimitExceeded";
  if (service == "autoscaling" || service == "sts") return "Throttling";
  return "ThrottlingException";
}

}  // namespace

TimePoint FakeAws::Impl::now() const {
  return system_clock()->now() + clock_offset;
}

std::string FakeAws::Impl::new_id(std::string_view prefix, int hex_digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llx", hex_digits, static_cast<unsigned long long>(next_id++));
  return std::string(prefix) + buf;
}

http::Response FakeAws::Impl::serve(const http::Request& request) {
  std::string service, operation;
  bool json_protocol = false;
  const aws::protocol::ServiceModel* model = nullptr;
  std::vector<std::pair<std::string, std::string>> form;
  std::string request_id;
  TimePoint server_now;
  {
    std::lock_guard lock(mu);
    request_id = "fake-" + std::to_string(next_request++);
    server_now = now();
    if (options.record_requests) {
      std::string seen = request.method + " " + request.target + "\n";
      for (const auto& [name, value] : request.headers.items) seen += name + ": " + value + "\n";
      request_log.push_back(seen + "\n" + request.body);
    }
  }

  auto reply = [&](int status, std::string body, std::string content_type) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers.set("Content-Type", std::move(content_type));
    r.headers.set("x-amzn-RequestId", request_id);
    r.headers.set("Date", aws::format_http_date(server_now));
    return r;
  };
  auto error = [&](int status, const std::string& code, const std::string& message) {
    {
      std::lock_guard lock(mu);
      rejections.push_back(service + "." + operation + ": " + code + ": " + message);
    }
    if (json_protocol) {
      json::object body{{"__type", code}, {"message", message}};
      http::Response r = reply(status, json::serialize(body), "application/x-amz-json-1.1");
      r.headers.set("x-amzn-ErrorType", code);
      return r;
    }
    return reply(status, aws_wire::query_error_xml(code, message, request_id, service == "ec2"), "text/xml");
  };

  // Which service and operation.
  if (const std::string* target = request.headers.find("X-Amz-Target")) {
    json_protocol = true;
    const auto dot = target->find('.');
    const std::string prefix = target->substr(0, dot);
    operation = dot == std::string::npos ? std::string() : target->substr(dot + 1);
    for (auto& [name, m] : models) {
      if (m.metadata().protocol == "json" && m.metadata().target_prefix == prefix) {
        service = name;
        model = &m;
      }
    }
    if (model == nullptr) return error(400, "UnknownOperationException", "no such service: " + prefix);
  } else {
    form = aws_wire::parse_form(request.body);
    std::string version;
    for (auto it = form.begin(); it != form.end();) {
      if (it->first == "Action")
        operation = it->second;
      else if (it->first == "Version")
        version = it->second;
      else {
        ++it;
        continue;
      }
      it = form.erase(it);
    }
    for (auto& [name, m] : models) {
      if (m.metadata().protocol != "json" && m.metadata().api_version == version) {
        service = name;
        model = &m;
      }
    }
    if (model == nullptr) return error(400, "InvalidAction", "no service with Version \"" + version + "\"");
  }
  const aws::protocol::Operation* op = model->operation(operation);
  if (op == nullptr) {
    return error(400, json_protocol ? "UnknownOperationException" : "InvalidAction",
                 "unknown operation " + operation + " for " + service);
  }

  // SigV4.
  CallContext ctx{service, operation, {}};
  const std::string* authorization = request.headers.find("Authorization");
  const bool anonymous_ok = operation == "AssumeRoleWithWebIdentity";
  if (authorization == nullptr && !(anonymous_ok || !options.verify_signatures)) {
    return error(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
  }
  if (authorization != nullptr) {
    auto auth = parse_authorization(*authorization);
    if (!auth) return error(403, "IncompleteSignature", "Authorization header is malformed");
    ctx.access_key_id = auth->access_key_id;
    std::optional<Identity> identity;
    {
      std::lock_guard lock(mu);
      auto it = identities.find(auth->access_key_id);
      if (it != identities.end()) identity = it->second;
    }
    if (!identity) {
      return error(403,
                   service == "ec2" ? "AuthFailure"
                   : json_protocol  ? "UnrecognizedClientException"
                                    : "InvalidClientTokenId",
                   "The security token included in the request is invalid.");
    }
    if (options.verify_signatures) {
      const std::string signing_name =
          model->metadata().signing_name.empty() ? model->metadata().endpoint_prefix : model->metadata().signing_name;
      if (auth->service != signing_name || auth->region != options.region) {
        return error(403, json_protocol ? "InvalidSignatureException" : "SignatureDoesNotMatch",
                     "Credential should be scoped to " + options.region + "/" + signing_name + ", not " + auth->region +
                         "/" + auth->service);
      }
      if (!identity->session_token.empty() &&
          request.headers.get("X-Amz-Security-Token") != std::string_view(identity->session_token)) {
        return error(403, json_protocol ? "UnrecognizedClientException" : "InvalidClientTokenId",
                     "The security token included in the request is invalid.");
      }
      const std::string* amz_date = request.headers.find("X-Amz-Date");
      auto signed_at =
          amz_date != nullptr ? parse_amz_date(*amz_date) : Result<TimePoint>(make_error(ErrorKind::kInvalid, ""));
      if (!signed_at.ok()) return error(400, "IncompleteSignature", "X-Amz-Date is missing or malformed");
      const auto skew = *signed_at - server_now;
      if (skew > std::chrono::minutes(5) || skew < -std::chrono::minutes(5)) {
        const std::string msg = "Signature expired: " + *amz_date + " is now earlier than " +
                                aws::format_amz_date(server_now - std::chrono::minutes(5));
        if (service == "ec2") return error(400, "RequestExpired", "Request has expired. " + msg);
        if (json_protocol) return error(400, "InvalidSignatureException", msg);
        return error(400, "SignatureDoesNotMatch", msg);
      }
      // Rebuild the request as signed and sign it again.
      aws::Request signed_request;
      signed_request.method = request.method;
      const std::string_view target = request.target;
      const auto q = target.find('?');
      signed_request.path = aws::percent_decode(target.substr(0, q));
      if (q != std::string_view::npos) {
        std::string_view query = target.substr(q + 1);
        while (!query.empty()) {
          const auto amp = query.find('&');
          std::string_view pair = query.substr(0, amp);
          query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
          const auto eq = pair.find('=');
          signed_request.query.push_back(
              {aws::percent_decode(pair.substr(0, eq)),
               eq == std::string_view::npos ? "" : aws::percent_decode(pair.substr(eq + 1))});
        }
      }
      std::string_view names = auth->signed_headers;
      while (!names.empty()) {
        const auto semi = names.find(';');
        const std::string name(names.substr(0, semi));
        names = semi == std::string_view::npos ? std::string_view() : names.substr(semi + 1);
        const std::string* value = request.headers.find(name);
        if (value == nullptr) return error(403, "SignatureDoesNotMatch", "signed header " + name + " is missing");
        signed_request.headers.push_back({name, *value});
      }
      signed_request.body = request.body;
      // The signer adds X-Amz-Security-Token itself: hand it the token as received, and
      // leave it unsigned when the client did.
      const std::string token(request.headers.get("X-Amz-Security-Token"));
      const bool token_signed = (";" + auth->signed_headers + ";").find(";x-amz-security-token;") != std::string::npos;
      aws::Signer signer(aws::SigningOptions{
          .region = auth->region, .service = auth->service, .omit_session_token = !token.empty() && !token_signed});
      aws::SigningTrace trace;
      Status s = signer.sign(signed_request, aws::Credentials{auth->access_key_id, identity->secret, token}, *signed_at,
                             &trace);
      if (!s.ok() || trace.signature != auth->signature) {
        {
          std::lock_guard lock(mu);
          rejections.push_back("canonical request:\n" + trace.canonical_request);
        }
        return error(403, json_protocol ? "InvalidSignatureException" : "SignatureDoesNotMatch",
                     "The request signature we calculated does not match the signature you provided.");
      }
    }
  }

  // Input.
  json::value input;
  if (json_protocol) {
    boost::system::error_code ec;
    input = request.body.empty() ? json::value(json::object()) : json::parse(request.body, ec);
    if (ec || !input.is_object()) return error(400, "SerializationException", "body is not a JSON object");
    if (Status s = aws_wire::check_json_input(*op, input); !s.ok()) {
      return error(400, "SerializationException", s.error().message);
    }
  } else {
    auto parsed = aws_wire::form_to_value(*model, *op, form);
    if (!parsed.ok())
      return error(400, service == "ec2" ? "UnknownParameter" : "InvalidParameter", parsed.error().message);
    input = std::move(*parsed);
  }

  // Faults.
  Duration delay{0};
  std::optional<Fault> fault;
  {
    std::lock_guard lock(mu);
    ++counts[operation];
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if ((!it->operation.empty() && it->operation != operation) || it->kind == Fault::Kind::kInsufficientCapacity) {
        continue;
      }
      fault = *it;
      if (it->times > 0 && --it->times == 0) faults.erase(it);
      break;
    }
    delay = weather.slow;
    if (!fault && weather.period > 0) {
      const auto phase = static_cast<int>(weather_requests++ % static_cast<std::uint64_t>(weather.period));
      if (phase < weather.throttles + weather.errors) {
        fault = Fault{.kind = phase < weather.throttles ? Fault::Kind::kThrottle : Fault::Kind::kInternalError};
        ++storm_hits;
      }
    }
  }
  // A refused answer is as slow as a served one.
  if (fault && fault->kind != Fault::Kind::kSlow && delay.count() > 0) std::this_thread::sleep_for(delay);
  if (fault) {
    switch (fault->kind) {
      case Fault::Kind::kThrottle:
        return error(service == "ec2" ? 503 : 400, throttle_code(service), "Rate exceeded");
      case Fault::Kind::kInternalError:
        if (fault->after_effect) {
          std::lock_guard lock(mu);
          (void)handle(ctx, input);
        }
        return error(500,
                     service == "ec2" ? "InternalError"
                     : json_protocol  ? "InternalServerError"
                                      : "InternalFailure",
                     "We encountered an internal error. Please try again.");
      case Fault::Kind::kExpiredToken:
        return error(400, json_protocol ? "ExpiredTokenException" : "ExpiredToken",
                     "The security token included in the request is expired");
      case Fault::Kind::kSlow:
        delay = std::max(delay, fault->delay);
        break;
      case Fault::Kind::kBadBody:
        return reply(200, fault->body, json_protocol ? "application/x-amz-json-1.1" : "text/xml");
      case Fault::Kind::kInsufficientCapacity:
        break;
    }
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);

  Outcome outcome;
  {
    std::lock_guard lock(mu);
    outcome = handle(ctx, input);
  }
  if (outcome.error) return error(outcome.error->status, outcome.error->code, outcome.error->message);
  if (json_protocol) {
    return reply(200, json::serialize(outcome.output), "application/x-amz-json-" + model->metadata().json_version);
  }
  return reply(200, aws_wire::query_response_xml(*model, *op, outcome.output, request_id), "text/xml");
}

Outcome FakeAws::Impl::handle(const CallContext& ctx, const json::value& input) {
  const json::object& in = input.as_object();
  if (ctx.service == "autoscaling") return handle_autoscaling(*this, ctx, in);
  if (ctx.service == "ec2") return handle_ec2(*this, ctx, in);
  if (ctx.service == "ssm") return handle_ssm(*this, ctx, in);
  if (ctx.service == "events") return handle_events(*this, ctx, in);
  if (ctx.service == "sts") return handle_sts(*this, ctx, in);
  return Outcome::fail(400, "InvalidAction", "service not served by the fake: " + ctx.service);
}

std::int64_t FakeAws::Impl::spot_placeable(std::int64_t count) const {
  return weather.partial_spot ? (count + 1) / 2 : count;
}

bool FakeAws::Impl::spot_capacity_fault(std::string_view operation) {
  return !capacity_fault(operation, "spot").code.empty();
}

const FakeGroup& FakeAws::Impl::described_group(const FakeGroup& current) const {
  if (describe_lag.count() <= 0) return current;
  auto h = group_history.find(current.name);
  if (h == group_history.end() || h->second.empty()) return current;
  // The newest state at least describe_lag old; a group younger than that shows as created.
  const TimePoint as_of = now() - describe_lag;
  const FakeGroup* shown = &h->second.front().second;
  for (const auto& [at, g] : h->second) {
    if (at > as_of) break;
    shown = &g;
  }
  return *shown;
}

std::optional<FakeInstance> FakeAws::Impl::described_instance(const FakeInstance& i) const {
  const TimePoint t = now();
  if (t < i.visible_at) return std::nullopt;
  FakeInstance shown = i;
  if (t < i.tags_at) shown.tags.clear();
  return shown;
}

FakeAws::Impl::Shortage FakeAws::Impl::capacity_fault(std::string_view operation, std::string_view market) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->kind != Fault::Kind::kInsufficientCapacity || (!it->operation.empty() && it->operation != operation))
      continue;
    const std::string_view hits = it->market.empty() ? std::string_view("spot") : std::string_view(it->market);
    if (hits != "any" && hits != market) continue;
    Shortage out{it->code.empty() ? std::string("InsufficientInstanceCapacity") : it->code, it->placed};
    if (it->times > 0 && --it->times == 0) faults.erase(it);
    return out;
  }
  return {};
}

// ---- FakeAws ----

FakeAws::FakeAws(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeAws::~FakeAws() {
  shutdown();
}

Result<std::unique_ptr<FakeAws>> FakeAws::start(FakeAwsOptions options) {
  auto impl = std::make_unique<Impl>();
  for (const char* name : kServedServices) {
    const auto path = options.models_dir / (std::string(name) + ".service-2.json");
    auto model = aws::protocol::ServiceModel::parse(read_text(path));
    if (!model.ok()) return make_error(ErrorKind::kInvalid, path.string() + ": " + model.error().message);
    impl->models.emplace(name, std::move(model).value());
  }
  for (const auto& [id, secret] : options.credentials) {
    impl->identities[id] =
        Identity{secret, {}, "arn:aws:iam::" + options.account + ":user/ghscale-test", "AIDAFAKE" + id};
  }
  impl->options = options;
  Impl* raw = impl.get();
  http::ServerOptions server_options;
  server_options.port = options.port;
  server_options.threads = options.threads;
  auto server = http::Server::start(server_options,
                                    http::make_sync_handler([raw](const http::Request& r) { return raw->serve(r); }));
  if (!server.ok()) return server.error();
  impl->server = std::move(*server);
  return std::unique_ptr<FakeAws>(new FakeAws(std::move(impl)));
}

std::uint16_t FakeAws::port() const {
  return impl_->server->port();
}
std::string FakeAws::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port());
}
void FakeAws::shutdown() {
  if (impl_ && impl_->server) impl_->server->shutdown(std::chrono::seconds(2));
}

void FakeAws::add_credentials(const std::string& id, const std::string& secret, const std::string& token) {
  std::lock_guard lock(impl_->mu);
  impl_->identities[id] =
      Identity{secret, token, "arn:aws:iam::" + impl_->options.account + ":user/" + id, "AIDA" + id};
}

void FakeAws::set_clock_offset(Duration offset) {
  std::lock_guard lock(impl_->mu);
  impl_->clock_offset = offset;
}

void FakeAws::add_group(FakeGroup group) {
  std::lock_guard lock(impl_->mu);
  auto& g = impl_->groups[group.name] = std::move(group);
  impl_->reconcile_group(g, "created by the test");
}

std::optional<FakeGroup> FakeAws::group(const std::string& name) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->groups.find(name);
  if (it == impl_->groups.end()) return std::nullopt;
  return it->second;
}

void FakeAws::release_launches(const std::string& name) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->groups.find(name);
  if (it == impl_->groups.end()) return;
  it->second.hold_launches = false;
  impl_->reconcile_group(it->second, "launches released by the test");
}

void FakeAws::add_launch_template(FakeLaunchTemplate launch_template) {
  std::lock_guard lock(impl_->mu);
  if (launch_template.id.empty()) launch_template.id = impl_->new_id("lt-");
  impl_->launch_templates[launch_template.name] = std::move(launch_template);
}

std::vector<std::string> FakeAws::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->request_log;
}

std::vector<FakeInstance> FakeAws::instances() const {
  std::lock_guard lock(impl_->mu);
  std::vector<FakeInstance> out;
  for (const auto& id : impl_->instance_order) out.push_back(impl_->instances.at(id));
  return out;
}

std::optional<FakeInstance> FakeAws::instance(const std::string& id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->instances.find(id);
  if (it == impl_->instances.end()) return std::nullopt;
  return it->second;
}

void FakeAws::add_instance(FakeInstance instance) {
  std::lock_guard lock(impl_->mu);
  if (instance.id.empty()) instance.id = impl_->new_id("i-");
  if (instance.launch_time == TimePoint{}) instance.launch_time = impl_->now();
  impl_->instance_order.push_back(instance.id);
  impl_->instances[instance.id] = std::move(instance);
}

bool FakeAws::end_instance(const std::string& id, const std::string& cause) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->instances.find(id);
  if (it == impl_->instances.end() || it->second.state == "terminated" || it->second.state == "shutting-down") {
    return false;
  }
  FakeInstance& i = it->second;
  i.state = "terminated";
  if (i.group.empty()) return true;
  i.asg_lifecycle_state = "Terminated";
  auto g = impl_->groups.find(i.group);
  if (g == impl_->groups.end()) return true;
  const std::string why =
      "an instance was taken out of service in response to an EC2 health check indicating it has been terminated or "
      "stopped (" + cause + ")";
  impl_->activities.push_front(
      {impl_->new_id("act-", 8), g->first, "Successful", "Terminating EC2 instance: " + id, why, impl_->now()});
  impl_->reconcile_group(g->second, "replacing " + id + ", which ended: " + cause);
  return true;
}

void FakeAws::put_parameter(const std::string& name, const std::string& value, const std::string& type) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->parameters.find(name);
  const std::int64_t version = it == impl_->parameters.end() ? 1 : it->second.version + 1;
  impl_->parameters[name] = FakeParameter{name, type, value, version, impl_->now()};
}

std::optional<FakeParameter> FakeAws::parameter(const std::string& name) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->parameters.find(name);
  if (it == impl_->parameters.end()) return std::nullopt;
  return it->second;
}

std::vector<FakeEvent> FakeAws::events() const {
  std::lock_guard lock(impl_->mu);
  return impl_->events;
}

void FakeAws::fail_events_from(const std::string& source) {
  std::lock_guard lock(impl_->mu);
  impl_->failing_event_sources.push_back(source);
}

std::vector<std::string> FakeAws::completed_lifecycle_actions() const {
  std::lock_guard lock(impl_->mu);
  return impl_->lifecycle_actions;
}

void FakeAws::set_describe_lag(Duration lag, bool varies) {
  std::lock_guard lock(impl_->mu);
  impl_->describe_lag = lag;
  impl_->describe_lag_varies = varies;
}

void FakeAws::set_tag_delay(Duration delay) {
  std::lock_guard lock(impl_->mu);
  impl_->tag_delay = delay;
}

void FakeAws::set_market_swap(bool spot_to_on_demand, bool on_demand_to_spot) {
  std::lock_guard lock(impl_->mu);
  impl_->market_swap = spot_to_on_demand;
  impl_->market_swap_to_spot = on_demand_to_spot;
}

void FakeAws::set_weather(Weather weather) {
  std::lock_guard lock(impl_->mu);
  impl_->weather = weather;
  impl_->weather_requests = 0;
  impl_->storm_hits = 0;
}

FakeAws::WeatherSeen FakeAws::weather_seen() const {
  std::lock_guard lock(impl_->mu);
  return {static_cast<int>(impl_->weather_requests), impl_->storm_hits};
}

void FakeAws::advance(Duration d) {
  std::lock_guard lock(impl_->mu);
  // Groups place what they owe while the time passes (at its start, so what they place is
  // as old as the time that passed).
  if (impl_->weather.partial_spot) {
    for (auto& [name, g] : impl_->groups) impl_->reconcile_group(g, "placing capacity owed");
  }
  impl_->clock_offset += d;
}

int FakeAws::live_instances() const {
  std::lock_guard lock(impl_->mu);
  int n = 0;
  for (const auto& [id, i] : impl_->instances) n += i.state != "terminated" && i.state != "shutting-down" ? 1 : 0;
  return n;
}

int FakeAws::peak_live(const std::string& tag_key, const std::string& tag_value) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->peak_live_by_tag.find({tag_key, tag_value});
  return it == impl_->peak_live_by_tag.end() ? 0 : it->second;
}

void FakeAws::inject(Fault fault) {
  std::lock_guard lock(impl_->mu);
  impl_->faults.push_back(std::move(fault));
}

void FakeAws::clear_faults() {
  std::lock_guard lock(impl_->mu);
  impl_->faults.clear();
}

int FakeAws::request_count(const std::string& operation) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->counts.find(operation);
  return it == impl_->counts.end() ? 0 : it->second;
}

std::vector<std::string> FakeAws::rejections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->rejections;
}

}  // namespace ghscale::fakes
