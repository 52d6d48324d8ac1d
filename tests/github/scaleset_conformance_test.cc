// Conformance with the reference client (actions/scaleset, read in place from
// ../shared/reference/actions-scaleset): every request ghscale's scale set client sends is
// held to the shapes the reference sends (method, path, query, headers, body fields), and
// every answer of the fake Actions service to the field names of the reference's Go types
// (types.go, client.go, errors.go json tags).
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "github/scaleset_fixture.h"
#include "support/testdata.h"

namespace ghscale::testing {
namespace {
namespace json = boost::json;
using Fields = std::set<std::string>;

std::optional<std::filesystem::path> reference_dir() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("GHSCALE_REFERENCE"); env != nullptr && *env != '\0') candidates.emplace_back(env);
  if (auto td = testdata_dir()) candidates.push_back(td->parent_path() / "reference");
  candidates.push_back(source_dir().parent_path() / "shared" / "reference");
  for (const auto& c : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(c / "actions-scaleset" / "types.go", ec)) return c / "actions-scaleset";
  }
  return std::nullopt;
}

// The json tags of the Go structs of the reference's .go files, embedded structs resolved.
class GoStructs {
 public:
  explicit GoStructs(const std::filesystem::path& dir) {
    for (const char* file : {"types.go", "client.go", "errors.go", "session_client.go"}) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(dir / file, ec)) read(read_file(dir / file));
    }
  }
  bool has(const std::string& name) const { return structs_.count(name) != 0; }
  Fields tags(const std::string& name) const {
    Fields out;
    auto it = structs_.find(name);
    if (it == structs_.end()) return out;
    out.insert(it->second.tags.begin(), it->second.tags.end());
    for (const auto& e : it->second.embedded) {
      const Fields inner = tags(e);
      out.insert(inner.begin(), inner.end());
    }
    return out;
  }

 private:
  struct Struct {
    Fields tags;
    std::vector<std::string> embedded;
  };
  // A line-based reading of gofmt'ed sources (std::regex is avoided: it recurses per
  // character and long lines overflow its stack).
  void read(const std::string& source) {
    std::istringstream in(source);
    std::string line;
    Struct* current = nullptr;
    while (std::getline(in, line)) {
      if (current == nullptr) {
        constexpr std::string_view kType = "type ";
        constexpr std::string_view kStruct = " struct {";
        if (line.rfind(kType, 0) == 0 && line.size() > kType.size() + kStruct.size() &&
            line.compare(line.size() - kStruct.size(), kStruct.size(), kStruct) == 0) {
          current = &structs_[line.substr(kType.size(), line.size() - kType.size() - kStruct.size())];
        }
        continue;
      }
      if (line == "}") {
        current = nullptr;
        continue;
      }
      const auto tag = line.find("`json:\"");
      if (tag != std::string::npos) {
        const auto start = tag + 7;
        const auto end = line.find_first_of(",\"", start);
        const std::string name = line.substr(start, end - start);
        if (!name.empty() && name != "-") current->tags.insert(name);
        continue;
      }
      // An embedded struct: one exported identifier alone on its line.
      std::string word;
      std::istringstream words(line);
      words >> word;
      std::string more;
      if (!word.empty() && std::isupper(static_cast<unsigned char>(word[0])) != 0 && !(words >> more)) {
        current->embedded.push_back(word);
      }
    }
  }
  std::map<std::string, Struct> structs_;
};

Fields keys(const json::object& o) {
  Fields out;
  for (const auto& kv : o) out.insert(std::string(kv.key()));
  return out;
}

std::string show(const Fields& f) {
  std::string s;
  for (const auto& x : f) s += (s.empty() ? "" : ",") + x;
  return "{" + s + "}";
}

// --- what the reference sends, from reading it ---

struct RequestShape {
  std::string name;
  std::string cite;  // where in the reference this shape is read
  std::string method;
  std::regex path;
  Fields query_required;
  Fields query_optional;
  std::map<std::string, std::regex> headers;  // must be present and match
  bool body = false;                          // a JSON object body (else none)
  std::string body_type;                      // the Go struct it marshals from
  Fields body_required;
};

// Every call to the Actions service: newActionsServiceRequest (client.go) adds
// api-version=6.0-preview, Content-Type: application/json, Authorization: Bearer <admin
// token> and the User-Agent.
std::map<std::string, std::regex> admin_headers() {
  return {{"Content-Type", std::regex("application/json")},
          {"Authorization", std::regex(R"(Bearer \S+)")},
          {"User-Agent", std::regex(R"(\{.*"kind":"scaleset".*\})")}};
}

std::vector<RequestShape> reference_shapes() {
  const std::string sets = "/tenant/1/_apis/runtime/runnerscalesets";
  const std::string uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  std::vector<RequestShape> s;
  // client.go getRunnerRegistrationToken: POST .../actions/runners/registration-token with
  // the PAT or installation token as a Bearer token (sent by ghscale's REST client).
  s.push_back({"registration token",
               "client.go getRunnerRegistrationToken, createRegistrationTokenPath",
               "POST",
               std::regex("/orgs/acme/actions/runners/registration-token"),
               {},
               {},
               {{"Authorization", std::regex(R"(Bearer \S+)")}},
               false,
               "",
               {}});
  // client.go getActionsServiceAdminConnection: RemoteAuth <registration token>, body
  // {url, runner_event: "register"}.
  s.push_back({"runner registration",
               "client.go getActionsServiceAdminConnection",
               "POST",
               std::regex("/actions/runner-registration"),
               {},
               {},
               {{"Content-Type", std::regex("application/json")},
                {"Authorization", std::regex(R"(RemoteAuth \S+)")},
                {"User-Agent", std::regex(".+")}},
               true,
               "",
               {"url", "runner_event"}});
  s.push_back({"get scale set by name",
               "client.go GetRunnerScaleSet",
               "GET",
               std::regex(sets),
               {"runnerGroupId", "name", "api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  s.push_back({"get scale set by id",
               "client.go GetRunnerScaleSetByID",
               "GET",
               std::regex(sets + R"(/\d+)"),
               {"api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  s.push_back({"create scale set",
               "client.go CreateRunnerScaleSet (ensureLabels, applyDefaultLabelTypes)",
               "POST",
               std::regex(sets),
               {"api-version"},
               {},
               admin_headers(),
               true,
               "RunnerScaleSet",
               {"name", "labels"}});
  s.push_back({"update scale set",
               "client.go UpdateRunnerScaleSet",
               "PATCH",
               std::regex(sets + R"(/\d+)"),
               {"api-version"},
               {},
               admin_headers(),
               true,
               "RunnerScaleSet",
               {"labels"}});
  s.push_back({"delete scale set",
               "client.go DeleteRunnerScaleSet",
               "DELETE",
               std::regex(sets + R"(/\d+)"),
               {"api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  s.push_back({"generate JIT config",
               "client.go GenerateJitRunnerConfig",
               "POST",
               std::regex(sets + R"(/\d+/generatejitconfig)"),
               {"api-version"},
               {},
               admin_headers(),
               true,
               "RunnerScaleSetJitRunnerSetting",
               {"name", "workFolder"}});
  s.push_back({"create session",
               "session_client.go createMessageSession",
               "POST",
               std::regex(sets + R"(/\d+/sessions)"),
               {"api-version"},
               {},
               admin_headers(),
               true,
               "RunnerScaleSetSession",
               {"ownerName"}});
  s.push_back({"refresh session",
               "session_client.go refreshMessageSession",
               "PATCH",
               std::regex(sets + R"(/\d+/sessions/)" + uuid),
               {"api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  s.push_back({"delete session",
               "session_client.go deleteMessageSession",
               "DELETE",
               std::regex(sets + R"(/\d+/sessions/)" + uuid),
               {"api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  s.push_back({"get runner group",
               "client.go GetRunnerGroupByName",
               "GET",
               std::regex("/tenant/1/_apis/runtime/runnergroups/"),
               {"groupName", "api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  const std::string agents = "/tenant/1/_apis/distributedtask/pools/0/agents";
  s.push_back({"get runner",
               "client.go GetRunner",
               "GET",
               std::regex(agents + R"(/\d+)"),
               {"api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  s.push_back({"get runner by name",
               "client.go GetRunnerByName",
               "GET",
               std::regex(agents),
               {"agentName", "api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  s.push_back({"remove runner",
               "client.go RemoveRunner",
               "DELETE",
               std::regex(agents + R"(/\d+)"),
               {"api-version"},
               {},
               admin_headers(),
               false,
               "",
               {}});
  // session_client.go getMessage: the session's messageQueueUrl (its own query kept),
  // lastMessageId when > 0, Accept with the api-version, the queue token, the capacity.
  s.push_back({"get message",
               "session_client.go getMessage",
               "GET",
               std::regex("/tenant/1/_apis/runtime/messagequeues/" + uuid + "/messages"),
               {"sessionId"},
               {"lastMessageId"},
               {{"Accept", std::regex(R"(application/json; api-version=6\.0-preview)")},
                {"Authorization", std::regex(R"(Bearer \S+)")},
                {"User-Agent", std::regex(".+")},
                {"X-ScaleSetMaxCapacity", std::regex(R"(\d+)")}},
               false,
               "",
               {}});
  // session_client.go deleteMessage: the queue URL's path plus /{messageId}.
  s.push_back({"delete message",
               "session_client.go deleteMessage",
               "DELETE",
               std::regex("/tenant/1/_apis/runtime/messagequeues/" + uuid + R"(/messages/\d+)"),
               {"sessionId"},
               {},
               {{"Content-Type", std::regex("application/json")},
                {"Authorization", std::regex(R"(Bearer \S+)")},
                {"User-Agent", std::regex(".+")}},
               false,
               "",
               {}});
  return s;
}

// The body fields each request type may carry, from types.go's json tags (checked against
// the file below when it is present).
const std::map<std::string, Fields>& body_fields() {
  static const std::map<std::string, Fields> fields = {
      {"RunnerScaleSet",
       {"id", "name", "runnerGroupId", "runnerGroupName", "labels", "RunnerSetting", "createdOn", "runnerJitConfigUrl",
        "statistics"}},
      {"RunnerScaleSetSession",
       {"sessionId", "ownerName", "runnerScaleSet", "messageQueueUrl", "messageQueueAccessToken", "statistics"}},
      {"RunnerScaleSetJitRunnerSetting", {"name", "workFolder"}},
  };
  return fields;
}

struct SplitUrl {
  std::string path;
  std::map<std::string, std::string> query;
};

SplitUrl split_url(const std::string& url, const std::string& origin) {
  SplitUrl out;
  std::string rest = url.rfind(origin, 0) == 0 ? url.substr(origin.size()) : url;
  const auto q = rest.find('?');
  out.path = rest.substr(0, q);
  if (q != std::string::npos) {
    std::string_view query = std::string_view(rest).substr(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const auto eq = pair.find('=');
      out.query[std::string(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  return out;
}

class ScaleSetConformance : public ScaleSetFixture {
 protected:
  // Runs every call the client has, and the service's rude turns, through the recorder.
  void run_every_call() {
    ASSERT_TRUE(client->get_runner_group("Default").ok());
    const auto set = make_scale_set();  // get by name (none) + create
    scaleset::ScaleSetSpec spec;
    spec.name = "ghscale-linux";
    spec.labels = {"ghscale-linux", "gpu"};
    ASSERT_TRUE(client->ensure_scale_set(spec).ok());  // get by name + update
    ASSERT_TRUE(client->get_scale_set_by_id(set.id).ok());
    auto session = scaleset::MessageSession::open(client, set.id, "ghscale-conformance");
    ASSERT_TRUE(session.ok());
    auto conflict = scaleset::MessageSession::open(client, set.id, "someone-else");
    ASSERT_FALSE(conflict.ok());
    auto empty = (*session)->get_message(0, 3);  // 202
    ASSERT_TRUE(empty.ok());
    const auto job = enqueue();
    auto m = (*session)->get_message(0, 3);
    ASSERT_TRUE(m.ok() && m->has_value());
    ASSERT_TRUE((*session)->delete_message((*m)->id).ok());
    const auto runner = online_runner(set.id, "conformance-runner");
    ASSERT_TRUE(actions->start_job(runner, job));
    ASSERT_TRUE(client->get_runner(runner).ok());
    auto by_name = client->get_runner_by_name("conformance-runner");
    ASSERT_TRUE(by_name.ok() && by_name->has_value());
    ASSERT_FALSE(client->remove_runner(runner).ok());  // busy: JobStillRunningException
    const auto spare = online_runner(set.id, "spare-runner");
    ASSERT_TRUE(client->remove_runner(spare).ok());
    actions->expire_message_tokens();  // refresh session
    m = (*session)->get_message((*m)->id, 3);
    ASSERT_TRUE(m.ok() && m->has_value());
    ASSERT_TRUE((*session)->delete_message((*m)->id).ok());
    ASSERT_TRUE(actions->finish_job(runner, job, "failed"));
    m = (*session)->get_message((*m)->id, 3);
    ASSERT_TRUE(m.ok() && m->has_value());
    ASSERT_TRUE((*session)->delete_message((*m)->id).ok());
    ASSERT_TRUE((*session)->close().ok());
    actions->expire_admin_tokens();  // a 401, then a second token exchange
    ASSERT_TRUE(client->delete_scale_set(set.id).ok());
    ASSERT_EQ(client->admin_renewals(), 2);
  }

  std::string origin() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
};

TEST_F(ScaleSetConformance, EveryRequestHasTheReferenceShape) {
  run_every_call();
  if (HasFatalFailure()) return;
  const auto shapes = reference_shapes();
  std::map<std::string, int> seen;
  std::set<std::string> admin_tokens, queue_tokens;
  for (const auto& ex : wire->exchanges()) {
    const SplitUrl url = split_url(ex.request.url, origin());
    const RequestShape* shape = nullptr;
    for (const auto& s : shapes) {
      if (s.method == ex.request.method && std::regex_match(url.path, s.path)) {
        ASSERT_EQ(shape, nullptr) << "two shapes match " << ex.request.method << " " << url.path;
        shape = &s;
      }
    }
    ASSERT_NE(shape, nullptr) << "a request the reference never sends: " << ex.request.method << " " << url.path;
    ++seen[shape->name];
    SCOPED_TRACE(shape->name + " (" + shape->cite + ")");
    // Query: the required names, nothing beyond the optional ones.
    for (const auto& q : shape->query_required) EXPECT_TRUE(url.query.count(q)) << "query lacks " << q;
    for (const auto& [k, v] : url.query) {
      EXPECT_TRUE(shape->query_required.count(k) || shape->query_optional.count(k)) << "unexpected query " << k;
    }
    if (url.query.count("api-version")) {
      EXPECT_EQ(url.query.at("api-version"), "6.0-preview");
    }
    if (url.query.count("lastMessageId")) {
      EXPECT_NE(url.query.at("lastMessageId"), "0");  // sent only when > 0
    }
    for (const auto& [name, pattern] : shape->headers) {
      const std::string* v = ex.request.headers.find(name);
      ASSERT_NE(v, nullptr) << "header missing: " << name;
      EXPECT_TRUE(std::regex_match(*v, pattern))
          << name << " is '" << (name == "Authorization" ? "<secret>" : *v) << "'";
    }
    if (!shape->body) {
      EXPECT_TRUE(ex.request.body.empty()) << "a body where the reference sends none";
      continue;
    }
    boost::system::error_code ec;
    json::value body = json::parse(ex.request.body, ec);
    ASSERT_FALSE(ec) << "body is not JSON";
    ASSERT_TRUE(body.is_object());
    const Fields sent = keys(body.as_object());
    for (const auto& f : shape->body_required) EXPECT_TRUE(sent.count(f)) << "body lacks " << f;
    const Fields allowed = shape->body_type.empty() ? shape->body_required : body_fields().at(shape->body_type);
    for (const auto& f : sent) EXPECT_TRUE(allowed.count(f)) << "body field " << f << " is not in " << show(allowed);
    if (shape->name == "runner registration") {
      EXPECT_EQ(body.at("runner_event"), "register");
      EXPECT_EQ(json::value_to<std::string>(body.at("url")), origin() + "/acme");
    }
    if (shape->body_type == "RunnerScaleSet") {
      for (const auto& label : body.at("labels").as_array()) {
        EXPECT_EQ(keys(label.as_object()), (Fields{"type", "name"}));
        EXPECT_EQ(label.at("type"), "System");  // client.go applyDefaultLabelTypes
      }
    }
  }
  for (const auto& s : shapes) EXPECT_GT(seen[s.name], 0) << "never exercised: " << s.name;

  // Secrets stay out of URLs, and each token goes only where it belongs.
  std::vector<std::string> secrets = github_fake->issued_tokens();
  secrets.push_back(kScaleSetPat);
  for (const auto& ex : wire->exchanges()) {
    if (ex.status == 0 || ex.response_body.empty()) continue;
    boost::system::error_code ec;
    json::value v = json::parse(ex.response_body, ec);
    if (ec || !v.is_object()) continue;
    const auto& o = v.as_object();
    if (auto* t = o.if_contains("token"); t != nullptr && o.contains("url"))
      admin_tokens.insert(std::string(t->as_string()));
    if (auto* t = o.if_contains("messageQueueAccessToken")) queue_tokens.insert(std::string(t->as_string()));
    if (auto* t = o.if_contains("encodedJITConfig")) secrets.emplace_back(t->as_string());
  }
  secrets.insert(secrets.end(), admin_tokens.begin(), admin_tokens.end());
  secrets.insert(secrets.end(), queue_tokens.begin(), queue_tokens.end());
  ASSERT_EQ(admin_tokens.size(), 2u);
  for (const auto& ex : wire->exchanges()) {
    for (const auto& secret : secrets) EXPECT_EQ(ex.request.url.find(secret), std::string::npos) << "a secret in a URL";
    const std::string auth(ex.request.headers.get("Authorization"));
    const std::string token = auth.substr(auth.find(' ') + 1);
    if (ex.request.url.find("/messagequeues/") != std::string::npos) {
      EXPECT_TRUE(queue_tokens.count(token)) << "the queue got something else than a queue token";
    } else if (ex.request.url.find("/_apis/") != std::string::npos) {
      EXPECT_TRUE(admin_tokens.count(token)) << "the admin API got something else than an admin token";
    }
  }
}

TEST_F(ScaleSetConformance, TheFakesAnswersUseTheReferenceTypesFieldNames) {
  auto dir = reference_dir();
  if (!dir) GTEST_SKIP() << "shared/reference/actions-scaleset not found (set GHSCALE_REFERENCE); skipping";
  const GoStructs go(*dir);
  for (const char* t : {"RunnerScaleSet", "RunnerScaleSetSession", "RunnerScaleSetStatistic",
                        "runnerScaleSetMessageResponse", "runnerScaleSetsResponse", "RunnerScaleSetJitRunnerConfig",
                        "RunnerReference", "Label", "JobAssigned", "JobStarted", "JobCompleted",
                        "actionsServiceAdminConnection", "actionsExceptionError", "RunnerScaleSetJitRunnerSetting",
                        "userAgent", "SystemInfo", "RunnerReferenceList", "RunnerGroupList", "RunnerGroup"}) {
    ASSERT_TRUE(go.has(t)) << t << " not found in the reference";
  }
  // The request bodies' allowed fields above are the reference's.
  for (const auto& [type, fields] : body_fields()) EXPECT_EQ(fields, go.tags(type)) << type;

  run_every_call();
  if (HasFatalFailure()) return;

  const Fields statistic = go.tags("RunnerScaleSetStatistic");
  const Fields scale_set_tags = go.tags("RunnerScaleSet");
  auto check_scale_set = [&](const json::object& o) {
    const Fields answered = keys(o);
    EXPECT_TRUE(std::includes(scale_set_tags.begin(), scale_set_tags.end(), answered.begin(), answered.end()))
        << "scale set " << show(answered);
    for (const auto& l : o.at("labels").as_array()) EXPECT_EQ(keys(l.as_object()), go.tags("Label"));
    EXPECT_EQ(keys(o.at("statistics").as_object()), statistic);
  };
  std::map<std::string, int> checked;
  for (const auto& ex : wire->exchanges()) {
    const SplitUrl url = split_url(ex.request.url, origin());
    SCOPED_TRACE(ex.request.method + " " + url.path + " -> " + std::to_string(ex.status));
    if (ex.status == 202 || ex.status == 204) {
      EXPECT_TRUE(ex.response_body.empty());
      ++checked["empty"];
      continue;
    }
    if (url.path.find("/registration-token") != std::string::npos) continue;  // GitHub's REST API, not the service
    boost::system::error_code ec;
    json::value v = json::parse(ex.response_body, ec);
    ASSERT_FALSE(ec) << "answer is not JSON";
    ASSERT_TRUE(v.is_object());
    const json::object& o = v.as_object();
    if (ex.status >= 400) {
      EXPECT_EQ(keys(o), go.tags("actionsExceptionError"));  // errors.go
      ++checked["error"];
    } else if (url.path == "/actions/runner-registration") {
      EXPECT_EQ(keys(o), go.tags("actionsServiceAdminConnection"));  // client.go
      ++checked["registration"];
    } else if (url.path.find("/messagequeues/") != std::string::npos) {
      EXPECT_EQ(keys(o), go.tags("runnerScaleSetMessageResponse"));
      EXPECT_EQ(keys(o.at("statistics").as_object()), statistic);
      json::value events = json::parse(o.at("body").as_string());
      for (const auto& e : events.as_array()) {
        const std::string type(e.at("messageType").as_string());
        ASSERT_TRUE(go.has(type)) << type;
        EXPECT_EQ(keys(e.as_object()), go.tags(type)) << type;
        ++checked[type];
      }
    } else if (url.path.find("/runnergroups/") != std::string::npos) {
      EXPECT_EQ(keys(o), go.tags("RunnerGroupList"));
      for (const auto& g : o.at("value").as_array()) EXPECT_EQ(keys(g.as_object()), go.tags("RunnerGroup"));
      ++checked["runner group"];
    } else if (url.path.find("/distributedtask/pools/0/agents") != std::string::npos) {
      if (url.query.count("agentName")) {
        EXPECT_EQ(keys(o), go.tags("RunnerReferenceList"));
        for (const auto& r : o.at("value").as_array()) EXPECT_EQ(keys(r.as_object()), go.tags("RunnerReference"));
      } else {
        EXPECT_EQ(keys(o), go.tags("RunnerReference"));
      }
      ++checked["runner"];
    } else if (url.path.ends_with("/generatejitconfig")) {
      EXPECT_EQ(keys(o), go.tags("RunnerScaleSetJitRunnerConfig"));
      EXPECT_EQ(keys(o.at("runner").as_object()), go.tags("RunnerReference"));
      ++checked["jit"];
    } else if (url.path.find("/sessions") != std::string::npos) {
      EXPECT_EQ(keys(o), go.tags("RunnerScaleSetSession"));
      check_scale_set(o.at("runnerScaleSet").as_object());
      EXPECT_EQ(keys(o.at("statistics").as_object()), statistic);
      ++checked["session"];
    } else if (url.query.count("name")) {
      EXPECT_EQ(keys(o), go.tags("runnerScaleSetsResponse"));
      for (const auto& s : o.at("value").as_array()) check_scale_set(s.as_object());
      ++checked["list"];
    } else {
      check_scale_set(o);
      ++checked["scale set"];
    }
  }
  for (const char* kind : {"empty", "error", "registration", "JobAssigned", "JobStarted", "JobCompleted", "jit",
                           "session", "list", "scale set"}) {
    EXPECT_GT(checked[kind], 0) << "no answer of kind " << kind << " was checked";
  }
}

TEST_F(ScaleSetConformance, TheUserAgentCarriesTheReferenceFields) {
  auto dir = reference_dir();
  if (!dir) GTEST_SKIP() << "shared/reference/actions-scaleset not found (set GHSCALE_REFERENCE); skipping";
  const GoStructs go(*dir);
  make_scale_set();
  const auto exchanges = wire->exchanges();
  ASSERT_FALSE(exchanges.empty());
  const std::string ua(exchanges.back().request.headers.get("User-Agent"));
  json::value v = json::parse(ua);
  EXPECT_EQ(keys(v.as_object()), go.tags("userAgent"));  // client.go userAgent with SystemInfo embedded
  EXPECT_EQ(v.at("system"), "ghscale");
  EXPECT_EQ(v.at("kind"), "scaleset");
}

}  // namespace
}  // namespace ghscale::testing
