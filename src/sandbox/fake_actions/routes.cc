// The fake Actions service's HTTP side: the runner-registration exchange, the admin
// routes under the service URL and the message queue, and FakeActionsServer.
#include <algorithm>
#include <charconv>

#include "sandbox/fake_actions/fake_actions.h"
#include "sandbox/fake_actions/state.h"

namespace ghscale::fake_actions {
namespace {

constexpr std::string_view kTenantPath = "/tenant/1/";
constexpr std::string_view kApiVersion = "6.0-preview";
constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxLabels = 100;

using State = FakeActions::State;

http::Response fail(int status, std::string_view type_name, std::string_view message) {
  return http::Response::json(status, json::serialize(json::object{{"typeName", type_name}, {"message", message}}));
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (slash != 0) out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
      if (ec == std::errc() && p == in.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i] == '+' ? ' ' : in[i]);
  }
  return out;
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<json::object> body_object(const http::Request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string bearer(const http::Request& req) {
  const std::string_view auth = req.headers.get("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  return auth.rfind(kBearer, 0) == 0 ? std::string(auth.substr(kBearer.size())) : std::string();
}

// Reads name, runnerGroupId, labels and RunnerSetting where present; false on a bad shape.
bool apply_scale_set_fields(const json::object& o, State::ScaleSet& s, std::string& why) {
  if (auto* name = o.if_contains("name")) {
    if (!name->is_string() || name->as_string().empty() || name->as_string().size() > kMaxName)
      return why = "name", false;
    s.name = std::string(name->as_string());
  }
  if (auto* group = o.if_contains("runnerGroupId")) {
    if (!group->is_int64() || group->as_int64() <= 0) return why = "runnerGroupId", false;
    s.group_id = group->as_int64();
  }
  if (auto* labels = o.if_contains("labels")) {
    if (!labels->is_array() || labels->as_array().empty() || labels->as_array().size() > kMaxLabels)
      return why = "labels", false;
    std::vector<std::string> names;
    for (const auto& l : labels->as_array()) {
      const auto* lo = l.if_object();
      if (lo == nullptr || !lo->contains("name") || !lo->at("name").is_string() || !lo->contains("type"))
        return why = "labels", false;
      names.emplace_back(lo->at("name").as_string());
    }
    s.labels = std::move(names);
  }
  if (auto* setting = o.if_contains("RunnerSetting"); setting != nullptr && setting->is_object()) {
    const auto* d = setting->as_object().if_contains("disableUpdate");
    s.disable_update = d != nullptr && d->is_bool() && d->as_bool();
  }
  return true;
}

class Router {
 public:
  Router(State& st, std::unique_lock<std::mutex>& lock) : st_(st), lock_(lock) {}

  http::Response registration(const http::Request& req) {
    count("runner-registration");
    if (req.method != "POST") return fail(405, "MethodNotAllowed", "POST only");
    const std::string_view auth = req.headers.get("Authorization");
    constexpr std::string_view kRemoteAuth = "RemoteAuth ";
    if (auth.rfind(kRemoteAuth, 0) != 0 || !st_.registration_check(auth.substr(kRemoteAuth.size()))) {
      return fail(401, "UnauthorizedException", "registration token not accepted");
    }
    auto o = body_object(req);
    if (!o || !o->contains("url") || !o->at("url").is_string() || o->at("url").as_string().empty() ||
        !o->contains("runner_event") || o->at("runner_event") != "register") {
      return fail(400, "ArgumentException", "expected {url, runner_event: register}");
    }
    return http::Response::json(
        201, json::serialize(json::object{{"url", st_.public_url}, {"token", st_.new_admin_token()}}));
  }

  // Everything under the service URL: the message queue (its own token) and the admin API.
  http::Response service(const http::Request& req, const std::vector<std::string>& seg) {
    if (seg.size() >= 5 && seg[0] == "_apis" && seg[1] == "runtime" && seg[2] == "messagequeues" &&
        seg[4] == "messages") {
      return messages(req, seg);
    }
    const bool scale_sets = seg.size() >= 3 && seg[0] == "_apis" && seg[1] == "runtime" && seg[2] == "runnerscalesets";
    const bool groups = seg.size() == 3 && seg[0] == "_apis" && seg[1] == "runtime" && seg[2] == "runnergroups";
    const bool agents = seg.size() >= 5 && seg[0] == "_apis" && seg[1] == "distributedtask" && seg[2] == "pools" &&
                        seg[3] == "0" && seg[4] == "agents";
    if (!scale_sets && !agents && !groups) {
      count("unknown");
      return fail(404, "NotFoundException", "no such route");
    }
    const std::string token = bearer(req);
    auto t = st_.admin_tokens.find(token);
    if (t == st_.admin_tokens.end() || t->second <= st_.now()) {
      count("unauthorized");
      return fail(401, "UnauthorizedException", "admin token missing, expired or revoked");
    }
    if (query_param(req.target, "api-version") != std::string(kApiVersion)) {
      count("bad api-version");
      return fail(400, "VssInvalidApiVersionException", "api-version 6.0-preview required");
    }
    if (agents) return runners(req, seg);
    if (groups) return runner_groups(req);
    if (seg.size() == 3) {
      if (req.method == "GET") return list_scale_sets(req);
      if (req.method == "POST") return create_scale_set(req);
      return fail(405, "MethodNotAllowed", "GET or POST");
    }
    const auto id = to_int(seg[3]);
    if (!id) return fail(404, "NotFoundException", "no such scale set");
    auto s = st_.scale_sets.find(*id);
    if (seg.size() == 4) {
      if (req.method == "GET") {
        count("get scale set");
        if (s == st_.scale_sets.end()) return fail(404, "RunnerScaleSetNotFoundException", "no such scale set");
        return http::Response::json(200, json::serialize(st_.scale_set_json(s->second)));
      }
      if (req.method == "PATCH") return update_scale_set(req, s);
      if (req.method == "DELETE") {
        count("delete scale set");
        if (s == st_.scale_sets.end()) return fail(404, "RunnerScaleSetNotFoundException", "no such scale set");
        st_.remove_scale_set_locked(*id);
        return http::Response{204, {}, {}};
      }
      return fail(405, "MethodNotAllowed", "GET, PATCH or DELETE");
    }
    if (s == st_.scale_sets.end()) {
      count(seg[4] == "sessions" ? "session on missing scale set" : "jit on missing scale set");
      return fail(404, "RunnerScaleSetNotFoundException", "no such scale set");
    }
    if (seg.size() == 5 && seg[4] == "generatejitconfig" && req.method == "POST") return generate_jit(req, s->second);
    if (seg[4] == "sessions") {
      if (seg.size() == 5 && req.method == "POST") return create_session(req, s->second);
      if (seg.size() == 6 && req.method == "PATCH") return refresh_session(seg[5], s->second);
      if (seg.size() == 6 && req.method == "DELETE") return delete_session(seg[5], s->second);
    }
    count("unknown");
    return fail(404, "NotFoundException", "no such route");
  }

 private:
  void count(std::string_view route) { ++st_.route_counts[std::string(route)]; }

  http::Response list_scale_sets(const http::Request& req) {
    count("get scale sets");
    const auto group = to_int(query_param(req.target, "runnerGroupId").value_or(""));
    const auto name = query_param(req.target, "name");
    if (!group || !name || name->empty()) return fail(400, "ArgumentException", "runnerGroupId and name required");
    json::array value;
    for (const auto& [id, s] : st_.scale_sets) {
      if (s.group_id == *group && s.name == *name) value.push_back(st_.scale_set_json(s));
    }
    const auto n = static_cast<std::int64_t>(value.size());
    return http::Response::json(200, json::serialize(json::object{{"count", n}, {"value", std::move(value)}}));
  }

  http::Response create_scale_set(const http::Request& req) {
    count("create scale set");
    auto o = body_object(req);
    if (!o) return fail(400, "ArgumentException", "a JSON object is required");
    State::ScaleSet s;
    std::string why;
    if (!apply_scale_set_fields(*o, s, why)) return fail(400, "ArgumentException", "bad field " + why);
    if (s.name.empty() || s.labels.empty()) return fail(400, "ArgumentException", "name and labels are required");
    if (st_.groups.count(s.group_id) == 0) return fail(404, "RunnerGroupNotFoundException", "no such runner group");
    for (const auto& [id, other] : st_.scale_sets) {
      if (other.name == s.name && other.group_id == s.group_id) {
        return fail(409, "RunnerScaleSetExistsException", "a scale set of that name exists in the group");
      }
    }
    s.id = ++st_.next_id;
    s.created = st_.now();
    auto& stored = st_.scale_sets[s.id] = std::move(s);
    st_.settle_locked();  // jobs waiting for this name
    return http::Response::json(200, json::serialize(st_.scale_set_json(stored)));
  }

  http::Response update_scale_set(const http::Request& req, std::map<std::int64_t, State::ScaleSet>::iterator s) {
    count("update scale set");
    if (s == st_.scale_sets.end()) return fail(404, "RunnerScaleSetNotFoundException", "no such scale set");
    auto o = body_object(req);
    if (!o) return fail(400, "ArgumentException", "a JSON object is required");
    State::ScaleSet updated = s->second;
    std::string why;
    if (!apply_scale_set_fields(*o, updated, why)) return fail(400, "ArgumentException", "bad field " + why);
    if (st_.groups.count(updated.group_id) == 0)
      return fail(404, "RunnerGroupNotFoundException", "no such runner group");
    s->second.name = updated.name;
    s->second.group_id = updated.group_id;
    s->second.labels = updated.labels;
    s->second.disable_update = updated.disable_update;
    st_.settle_locked();
    return http::Response::json(200, json::serialize(st_.scale_set_json(s->second)));
  }

  http::Response generate_jit(const http::Request& req, State::ScaleSet& s) {
    count("generate jit config");
    auto o = body_object(req);
    if (!o || !o->contains("name") || !o->at("name").is_string() || o->at("name").as_string().empty() ||
        o->at("name").as_string().size() > kMaxName || !o->contains("workFolder")) {
      return fail(400, "ArgumentException", "name and workFolder are required");
    }
    const std::string name(o->at("name").as_string());
    st_.settle_locked();  // runners removed through the REST API free their names
    for (const auto& [id, r] : st_.runners) {
      if (r.name == name) return fail(409, "AgentExistsException", "a runner of that name exists");
    }
    // The scope's other runners share the name space.
    if (st_.mirror && st_.mirror->find_runner(st_.mirror_scope, name)) {
      return fail(409, "AgentExistsException", "a runner of that name exists");
    }
    if (st_.runners.size() >= st_.options.max_runners) return fail(429, "TooManyRunnersException", "runner limit");
    State::Runner r;
    r.name = name;
    r.scale_set_id = s.id;
    r.jit_config = "jit-" + st_.random_hex(48);
    r.id = st_.new_runner_id_locked(name, s, r.jit_config);
    st_.runners[r.id] = r;
    json::object runner{{"id", r.id}, {"name", r.name}, {"runnerScaleSetId", s.id}};
    return http::Response::json(
        200, json::serialize(json::object{{"runner", std::move(runner)}, {"encodedJITConfig", r.jit_config}}));
  }

  http::Response runner_groups(const http::Request& req) {
    count("get runner group");
    if (req.method != "GET") return fail(405, "MethodNotAllowed", "GET");
    const auto name = query_param(req.target, "groupName");
    if (!name || name->empty()) return fail(400, "ArgumentException", "groupName required");
    json::array value;
    for (const auto& [id, group] : st_.groups) {
      if (group != *name) continue;
      std::int64_t size = 0;
      for (const auto& [rid, r] : st_.runners) {
        auto s = st_.scale_sets.find(r.scale_set_id);
        if (s != st_.scale_sets.end() && s->second.group_id == id) ++size;
      }
      value.push_back(json::object{{"id", id}, {"name", group}, {"size", size}, {"isDefaultGroup", id == 1}});
    }
    const auto n = static_cast<std::int64_t>(value.size());
    return http::Response::json(200, json::serialize(json::object{{"count", n}, {"value", std::move(value)}}));
  }

  static json::object runner_json(const State::Runner& r) {
    return json::object{{"id", r.id}, {"name", r.name}, {"runnerScaleSetId", r.scale_set_id}};
  }

  // _apis/distributedtask/pools/0/agents: find by name, get, remove (refused while busy).
  http::Response runners(const http::Request& req, const std::vector<std::string>& seg) {
    if (seg.size() == 5 && req.method == "GET") {
      count("get runner by name");
      const auto name = query_param(req.target, "agentName");
      if (!name || name->empty()) return fail(400, "ArgumentException", "agentName required");
      json::array value;
      for (const auto& [id, r] : st_.runners) {
        if (r.name == *name) value.push_back(runner_json(r));
      }
      const auto n = static_cast<std::int64_t>(value.size());
      return http::Response::json(200, json::serialize(json::object{{"count", n}, {"value", std::move(value)}}));
    }
    const auto id = seg.size() == 6 ? to_int(seg[5]) : std::nullopt;
    if (!id) return fail(404, "NotFoundException", "no such route");
    auto r = st_.runners.find(*id);
    if (req.method == "GET") {
      count("get runner");
      if (r == st_.runners.end()) return fail(404, "AgentNotFoundException", "no such runner");
      return http::Response::json(200, json::serialize(runner_json(r->second)));
    }
    if (req.method == "DELETE") {
      count("remove runner");
      if (r == st_.runners.end()) return fail(404, "AgentNotFoundException", "no such runner");
      if (r->second.busy) return fail(400, "JobStillRunningException", "the runner is running a job");
      st_.remove_runner_locked(*id);
      return http::Response{204, {}, {}};
    }
    return fail(405, "MethodNotAllowed", "GET or DELETE");
  }

  json::object session_json(const State::ScaleSet& s) const {
    const State::Session& ses = *s.session;
    return json::object{
        {"sessionId", ses.id},
        {"ownerName", ses.owner},
        {"runnerScaleSet", st_.scale_set_json(s)},
        {"messageQueueUrl", st_.public_url + "_apis/runtime/messagequeues/" + ses.id + "/messages?sessionId=" + ses.id},
        {"messageQueueAccessToken", ses.token},
        {"statistics", st_.statistics_json(s.id)}};
  }

  http::Response create_session(const http::Request& req, State::ScaleSet& s) {
    count("create session");
    auto o = body_object(req);
    if (!o || !o->contains("ownerName") || !o->at("ownerName").is_string() || o->at("ownerName").as_string().empty()) {
      return fail(400, "ArgumentException", "ownerName is required");
    }
    if (s.session) {
      count("session conflict");
      return fail(409, "TaskAgentSessionConflictException", "the scale set's session is held by another owner");
    }
    s.session =
        State::Session{st_.new_uuid(), std::string(o->at("ownerName").as_string()), "mq-" + st_.random_hex(40), true};
    return http::Response::json(200, json::serialize(session_json(s)));
  }

  http::Response refresh_session(const std::string& sid, State::ScaleSet& s) {
    count("refresh session");
    if (!s.session || s.session->id != sid) return fail(404, "TaskAgentSessionExpiredException", "no such session");
    s.session->token = "mq-" + st_.random_hex(40);
    s.session->token_valid = true;
    return http::Response::json(200, json::serialize(session_json(s)));
  }

  http::Response delete_session(const std::string& sid, State::ScaleSet& s) {
    count("delete session");
    if (!s.session || s.session->id != sid) return fail(404, "TaskAgentSessionExpiredException", "no such session");
    s.session.reset();
    st_.news.notify_all();  // a poll held on the deleted session ends now, as GitHub's does
    return http::Response{204, {}, {}};
  }

  State::ScaleSet* session_owner(const std::string& sid) {
    for (auto& [id, s] : st_.scale_sets) {
      if (s.session && s.session->id == sid) return &s;
    }
    return nullptr;
  }

  // The message queue: GET polls (202 when nothing), DELETE .../{id} acknowledges.
  http::Response messages(const http::Request& req, const std::vector<std::string>& seg) {
    const std::string& sid = seg[3];
    State::ScaleSet* s = session_owner(sid);
    if (s == nullptr) {
      count(req.method == "GET" ? "get message: no session" : "delete message: no session");
      return fail(404, "TaskAgentSessionExpiredException", "no such session");
    }
    if (!s->session->token_valid || bearer(req) != s->session->token) {
      count(req.method == "GET" ? "get message: unauthorized" : "delete message: unauthorized");
      return fail(401, "UnauthorizedException", "message queue token expired");
    }
    if (req.method == "DELETE" && seg.size() == 6) {
      count("delete message");
      const auto id = to_int(seg[5]);
      if (!id) return fail(400, "ArgumentException", "message id");
      s->unacked.erase(*id);  // deleting twice is harmless
      return http::Response{204, {}, {}};
    }
    if (req.method != "GET" || seg.size() != 5) return fail(405, "MethodNotAllowed", "GET or DELETE");
    count("get message");
    if (req.headers.get("Accept").find("api-version=6.0-preview") == std::string_view::npos) {
      return fail(400, "VssInvalidApiVersionException", "Accept must name api-version=6.0-preview");
    }
    const auto capacity = to_int(req.headers.get("X-ScaleSetMaxCapacity"));
    if (!capacity || *capacity < 0 || *capacity > 1'000'000)
      return fail(400, "ArgumentException", "X-ScaleSetMaxCapacity required");
    const auto last = query_param(req.target, "lastMessageId");
    std::int64_t last_id = 0;
    if (last) {
      auto v = to_int(*last);
      if (!v || *v < 0) return fail(400, "ArgumentException", "lastMessageId");
      last_id = *v;
    }
    const std::int64_t scale_set_id = s->id;
    s->max_capacity = static_cast<int>(*capacity);
    st_.settle_locked();
    if (auto r = next_message(scale_set_id, last_id)) return *r;
    if (st_.options.long_poll.count() > 0) {
      st_.news.wait_for(lock_, st_.options.long_poll, [&] {
        auto it = st_.scale_sets.find(scale_set_id);
        return st_.closing || it == st_.scale_sets.end() || !it->second.session || it->second.session->id != sid ||
               !it->second.pending.empty();
      });
      auto it = st_.scale_sets.find(scale_set_id);
      if (it == st_.scale_sets.end() || !it->second.session || it->second.session->id != sid) {
        return fail(404, "TaskAgentSessionExpiredException", "no such session");
      }
      st_.settle_locked();
      if (auto r = next_message(scale_set_id, last_id)) return *r;
    }
    count("get message: nothing");
    return http::Response{202, {}, {}};
  }

  // The oldest message the poller has not seen (or saw long ago), else a new one.
  std::optional<http::Response> next_message(std::int64_t scale_set_id, std::int64_t last_id) {
    State::ScaleSet& s = st_.scale_sets.at(scale_set_id);
    const TimePoint t = st_.now();
    State::Message* chosen = nullptr;
    for (auto& [id, m] : s.unacked) {
      if (id > last_id || !m.delivered_at || t - *m.delivered_at >= st_.options.redeliver_after) {
        chosen = &m;
        break;
      }
    }
    if (chosen == nullptr && !s.pending.empty()) {
      json::array events;
      while (!s.pending.empty() && events.size() < st_.options.max_events_per_message) {
        events.push_back(std::move(s.pending.front()));
        s.pending.pop_front();
      }
      State::Message m;
      m.id = ++st_.next_message_id;
      m.events = events.size();
      m.body = json::serialize(events);
      chosen = &(s.unacked[m.id] = std::move(m));
    }
    if (chosen == nullptr) return std::nullopt;
    chosen->delivered_at = t;
    if (st_.delivered_sizes.size() < kMaxDeliveriesRecorded) st_.delivered_sizes.push_back(chosen->events);
    return http::Response::json(200, json::serialize(json::object{{"messageId", chosen->id},
                                                                  {"messageType", "RunnerScaleSetJobMessages"},
                                                                  {"body", chosen->body},
                                                                  {"statistics", st_.statistics_json(scale_set_id)}}));
  }

  State& st_;
  std::unique_lock<std::mutex>& lock_;
};

}  // namespace

bool FakeActions::owns(std::string_view path) const {
  return path == state_->options.api_prefix + "/actions/runner-registration" || path.rfind(kTenantPath, 0) == 0;
}

http::Response FakeActions::handle(const http::Request& request) {
  std::unique_lock lock(state_->mu);
  ++state_->request_count;
  const std::string_view path = request.path();
  for (auto& f : state_->faults) {
    if (f.times <= 0 || (!f.method.empty() && f.method != request.method)) continue;
    if (path.find(f.path_part) == std::string_view::npos) continue;
    --f.times;
    ++state_->route_counts["fault"];
    return fail(f.status, "FakeFault", "injected fault");
  }
  std::erase_if(state_->faults, [](const FakeFault& f) { return f.times <= 0; });
  Router router(*state_, lock);
  if (path == state_->options.api_prefix + "/actions/runner-registration") return router.registration(request);
  if (path.rfind(kTenantPath, 0) == 0) return router.service(request, split_path(path.substr(kTenantPath.size())));
  return fail(404, "NotFoundException", "no such route");
}

Result<std::unique_ptr<FakeActionsServer>> FakeActionsServer::start(std::shared_ptr<FakeActions> actions,
                                                                    std::shared_ptr<fake_github::FakeGitHub> github,
                                                                    int threads) {
  if (github && github->base_path() != actions->api_prefix()) {
    return make_error(ErrorKind::kInvalid, "fake actions: its api_prefix must match the fake GitHub's");
  }
  if (github) {
    // Registration tokens are GitHub's: the exchange accepts those the fake GitHub issued.
    std::weak_ptr<fake_github::FakeGitHub> weak = github;
    actions->set_registration_check([weak](std::string_view token) {
      auto g = weak.lock();
      if (!g) return false;
      const auto issued = g->issued_tokens();
      return std::find(issued.begin(), issued.end(), token) != issued.end();
    });
  }
  std::unique_ptr<FakeActionsServer> self(new FakeActionsServer(actions, std::move(github)));
  FakeActions* a = actions.get();
  fake_github::FakeGitHub* g = self->github_.get();
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.threads = threads;
  auto server = http::Server::start(options, http::make_sync_handler([a, g](const http::Request& r) {
                                      if (a->owns(r.path()) || g == nullptr) return a->handle(r);
                                      return g->handle(r);
                                    }));
  if (!server) return std::move(server).error();
  self->server_ = std::move(server).value();
  actions->set_public_url("http://127.0.0.1:" + std::to_string(self->server_->port()) + std::string(kTenantPath));
  return self;
}

FakeActionsServer::~FakeActionsServer() {
  actions_->end_long_polls();  // a held GetMessage would otherwise hold the shutdown
  server_->shutdown(std::chrono::seconds(1));
}

std::string FakeActionsServer::api_url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port()) + actions_->api_prefix();
}

}  // namespace ghscale::fake_actions
