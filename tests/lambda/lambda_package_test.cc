// The Lambda package end to end: deploy/aws/package-lambda.sh packages the built binary
// (with a bundled ghscale.yaml), the zip is unpacked into a temporary folder and its
// `bootstrap` runs against the fake Lambda Runtime API, with the fake AWS endpoint
// (SSM, EventBridge; SigV4 checked) and dynalite (the DynamoDB store) behind it, and the
// fake GitHub for the reconcile function.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "aws/encoding.h"
#include "fakes/aws/fake_aws.h"
#include "fakes/lambda/fake_lambda_runtime.h"
#include "sandbox/fake_github/fake_github.h"
#include "store/dynamodb/dynamodb_store.h"
#include "support/dynalite_process.h"
#include "support/subprocess.h"
#include "support/testdata.h"
#include "webhook/signature.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "lambda-test-webhook-secret";
constexpr const char* kGitHubToken = "ghp_lambdatesttoken0123456789abcdefABCDEF";
constexpr const char* kSecretParameter = "/ghscale/webhook-secret";
constexpr const char* kConfigParameter = "/ghscale/config";
constexpr const char* kBus = "ghscale-bus";
constexpr const char* kTable = "ghscale-lambda-test";

std::string job_payload(std::int64_t job_id) {
  return R"({"action":"queued","workflow_job":{"id":)" + std::to_string(job_id) +
         R"(,"run_id":77,"run_attempt":1,"status":"queued","conclusion":null,"labels":["self-hosted","linux","x64"],)"
         R"("runner_id":null,"runner_name":null,"runner_group_id":null,"runner_group_name":null,"workflow_name":"CI",)"
         R"("name":"build","created_at":"2026-11-28T10:00:00Z","started_at":"2026-11-28T10:00:00Z","completed_at":null},)"
         R"("repository":{"full_name":"acme/app","owner":{"login":"acme"}},"installation":{"id":5}})";
}

// An HTTP API (payload format 2.0) event; the body base64-encoded as API Gateway may send it.
std::string v2_event(const std::string& body, const std::string& delivery, const std::string& signature) {
  json::object e{{"version", "2.0"},
                 {"routeKey", "POST /webhook"},
                 {"rawPath", "/webhook"},
                 {"rawQueryString", ""},
                 {"headers", json::object{{"content-type", "application/json"},
                                          {"x-github-event", "workflow_job"},
                                          {"x-github-delivery", delivery},
                                          {"x-hub-signature-256", signature}}},
                 {"requestContext", json::object{{"http", json::object{{"method", "POST"}, {"path", "/webhook"},
                                                                       {"sourceIp", "192.0.2.10"}}}}},
                 {"body", aws::base64_encode(body)},
                 {"isBase64Encoded", true}};
  return json::serialize(e);
}

// A REST API (payload format 1.0) event with multi-value headers and a plain body.
std::string v1_event(const std::string& body, const std::string& delivery, const std::string& signature) {
  json::object e{{"resource", "/webhook"},
                 {"path", "/webhook"},
                 {"httpMethod", "POST"},
                 {"headers", json::object{{"Content-Type", "application/json"}, {"X-GitHub-Event", "workflow_job"},
                                          {"X-GitHub-Delivery", delivery}, {"X-Hub-Signature-256", signature}}},
                 {"multiValueHeaders", json::object{{"Content-Type", json::array{"application/json"}},
                                                    {"X-GitHub-Event", json::array{"workflow_job"}},
                                                    {"X-GitHub-Delivery", json::array{delivery}},
                                                    {"X-Hub-Signature-256", json::array{signature}}}},
                 {"requestContext", json::object{{"stage", "prod"}, {"identity", json::object{{"sourceIp", "192.0.2.11"}}}}},
                 {"body", body},
                 {"isBase64Encoded", false}};
  return json::serialize(e);
}

struct Suite {
  std::unique_ptr<testing::DynaliteProcess> dynalite;
  std::unique_ptr<fakes::FakeAws> aws;
  std::unique_ptr<fake_github::FakeGitHubServer> github;
  std::shared_ptr<store::Store> store;
  fs::path dir;
  fs::path package;  // the unpacked zip
  std::string skip;
};

Suite* suite = nullptr;

class LambdaPackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite = new Suite();
    Suite& s = *suite;
    auto testdata = testing::testdata_dir();
    if (!testdata) {
      s.skip = "shared testdata not found (set GHSCALE_TESTDATA); skipping";
      return;
    }
    if (::system("command -v python3 >/dev/null 2>&1") != 0) {
      s.skip = "python3 not found (needed to unpack the zip with its file modes); skipping";
      return;
    }
    s.dynalite = testing::start_dynalite();
    if (!s.dynalite->unavailable.empty()) {
      s.skip = s.dynalite->unavailable;
      return;
    }
    fakes::FakeAwsOptions ao;
    ao.models_dir = *testdata / "aws-models";
    auto aws = fakes::FakeAws::start(ao);
    ASSERT_TRUE(aws.ok()) << aws.error().describe();
    s.aws = std::move(*aws);
    s.aws->put_parameter(kSecretParameter, kSecret, "SecureString");
    // The Runners stack's Auto Scaling group, empty until the reconcile function scales it.
    fakes::FakeGroup group;
    group.name = "ghscale-runners-linux";
    group.max_size = 5;
    group.tags = {{"ghscale:pool", "linux"}};
    s.aws->add_group(group);

    auto gh = std::make_shared<fake_github::FakeGitHub>();
    gh->add_pat(kGitHubToken);
    gh->add_runner_group("orgs/acme", "Default", true);
    auto ghs = fake_github::FakeGitHubServer::start(gh);
    ASSERT_TRUE(ghs.ok()) << ghs.error().describe();
    s.github = std::move(*ghs);

    // The table, as the autoscaler stack creates it; the test's own view of the store.
    aws::SessionOptions so;
    so.region = "us-east-1";
    so.endpoint_url = s.dynalite->endpoint;
    so.context.env = aws::Environment::from_map({{"AWS_ACCESS_KEY_ID", "AKIDLOCAL"}, {"AWS_SECRET_ACCESS_KEY", "local"}});
    auto client = store::make_dynamodb_client(so);
    ASSERT_TRUE(client.ok()) << client.error().describe();
    ASSERT_TRUE(store::ensure_dynamodb_table(**client, kTable).ok());
    store::DynamoDbOptions dopt;
    dopt.client = *client;
    dopt.table = kTable;
    auto opened = store::open_dynamodb_store(dopt);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    s.store = std::move(*opened);

    s.dir = fs::temp_directory_path() / ("ghscale-lambda-package-" + std::to_string(::getpid()));
    fs::remove_all(s.dir);
    fs::create_directories(s.dir);
    // The bundled configuration: the store and the webhook secret come from the
    // environment overrides a template sets; the sqlite path here is replaced.
    const std::string config = "github:\n  api_url: " + s.github->api_url() +
                               "\n  auth:\n    pat:\n      token: env:GHSCALE_TEST_GITHUB_TOKEN\n"
                               "webhook:\n  secrets: [env:GHSCALE_TEST_UNSET_SECRET]\n"
                               "store:\n  sqlite:\n    path: /nonexistent/ghscale.db\n"
                               "pools:\n  - name: linux\n    labels: [linux, x64]\n    scope: {repo: acme/app}\n"
                               "    provider: {type: aws_asg, asg_name: ghscale-runners-linux}\n    max_runners: 5\n"
                               "logging: {format: json, level: debug}\n";
    std::ofstream(s.dir / "bundled.yaml") << config;
    s.aws->put_parameter(kConfigParameter, config, "String");

    const fs::path zip = s.dir / "out" / "ghscale-lambda.zip";
    auto packaged = testing::run({"/bin/sh", (testing::source_dir() / "deploy/aws/package-lambda.sh").string(), "--binary",
                                  testing::ghscale_binary().string(), "--config", (s.dir / "bundled.yaml").string(), "--out",
                                  zip.string()},
                                 120s);
    ASSERT_EQ(packaged.exit_code, 0) << packaged.out << packaged.err;
    s.package = s.dir / "task";
    // Unpacked keeping the modes the zip records, as Lambda does.
    auto unpacked = testing::run({"/bin/sh", "-c",
                                  "python3 -c 'import sys, zipfile, os\n"
                                  "z = zipfile.ZipFile(sys.argv[1])\n"
                                  "for i in z.infolist():\n"
                                  "    p = z.extract(i, sys.argv[2])\n"
                                  "    m = (i.external_attr >> 16) & 0o777\n"
                                  "    if m: os.chmod(p, m)\n' \"$0\" \"$1\"",
                                  zip.string(), s.package.string()},
                                 60s);
    ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
  }

  static void TearDownTestSuite() {
    if (suite != nullptr && !suite->dir.empty()) fs::remove_all(suite->dir);
    delete suite;
    suite = nullptr;
  }

  void SetUp() override {
    if (suite == nullptr || !suite->skip.empty()) GTEST_SKIP() << (suite ? suite->skip : "no suite");
    ASSERT_TRUE(fs::exists(suite->package / "bootstrap"));
    auto runtime = fakes::FakeLambdaRuntime::start();
    ASSERT_TRUE(runtime.ok()) << runtime.error().describe();
    runtime_ = std::move(*runtime);
  }

  void TearDown() override {
    if (runtime_) runtime_->shutdown();
    if (process_) {
      auto code = process_->wait(20s);
      EXPECT_TRUE(code.has_value()) << "the runtime loop ends when the Runtime API goes away";
      if (HasFailure()) std::cerr << "bootstrap stderr:\n" << process_->err() << "\n";
    }
  }

  // Starts the unpacked package's bootstrap as Lambda would: in the task root, with the
  // function's environment.
  void start(const std::string& handler, std::vector<std::string> extra = {}) {
    std::vector<std::string> env = {
        "AWS_LAMBDA_RUNTIME_API=" + runtime_->api(),
        "_HANDLER=" + handler,
        "LAMBDA_TASK_ROOT=" + suite->package.string(),
        "AWS_REGION=us-east-1",
        "AWS_ACCESS_KEY_ID=AKIDFAKEEXAMPLE",
        "AWS_SECRET_ACCESS_KEY=fake/secret/key",
        "AWS_EC2_METADATA_DISABLED=true",
        "AWS_ENDPOINT_URL=" + suite->aws->endpoint(),
        "AWS_ENDPOINT_URL_DYNAMODB=" + suite->dynalite->endpoint,
        "GHSCALE_DYNAMODB_TABLE=" + std::string(kTable),
        "GHSCALE_WEBHOOK_SECRET_SSM_PARAMETER=" + std::string(kSecretParameter),
        "GHSCALE_EVENT_BUS=" + std::string(kBus),
        "GHSCALE_TEST_GITHUB_TOKEN=" + std::string(kGitHubToken),
    };
    for (auto& e : extra) env.push_back(std::move(e));
    process_ = std::make_unique<testing::Subprocess>(std::vector<std::string>{(suite->package / "bootstrap").string()}, env);
  }

  // The invocation's outcome; gives up early when the function failed its init.
  std::optional<fakes::LambdaOutcome> wait_for(const std::string& id) {
    for (int i = 0; i < 120; ++i) {
      if (auto out = runtime_->wait_for(id, 500ms)) return out;
      if (runtime_->wait_for_init_error(0ms)) return std::nullopt;
    }
    return std::nullopt;
  }

  json::object invoke(const std::string& event) {
    const std::string id = runtime_->enqueue(event, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
    auto out = wait_for(id);
    if (!out) {
      ADD_FAILURE() << "no outcome for " << id << "\n" << process_->err();
      return {};
    }
    if (out->error) {
      ADD_FAILURE() << "invocation failed: " << out->body << "\n" << process_->err();
      return {};
    }
    boost::system::error_code ec;
    json::value v = json::parse(out->body, ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << out->body;
      return {};
    }
    return v.as_object();
  }

  static int events_for_job(std::int64_t job_id) {
    int n = 0;
    for (const auto& e : suite->aws->events()) {
      if (e.source != "ghscale.webhook" || e.detail_type != "workflow_job" || e.event_bus_name != kBus) continue;
      json::value d = json::parse(e.detail);
      if (d.at("job_id").as_int64() == job_id) ++n;
    }
    return n;
  }

  std::unique_ptr<fakes::FakeLambdaRuntime> runtime_;
  std::unique_ptr<testing::Subprocess> process_;
};

TEST_F(LambdaPackageTest, HttpApiV2WebhookIsStoredAndAnnounced) {
  start("webhook");
  const std::string body = job_payload(7001);
  json::object answer = invoke(v2_event(body, "d-7001", webhook::sign(kSecret, body)));
  ASSERT_FALSE(answer.empty());
  EXPECT_EQ(answer.at("statusCode").as_int64(), 200) << json::serialize(answer);
  EXPECT_NE(std::string(answer.at("body").as_string()).find("recorded"), std::string::npos);
  EXPECT_FALSE(answer.at("isBase64Encoded").as_bool());

  auto job = suite->store->get_job(7001);
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(job->status, JobStatus::kQueued);
  EXPECT_EQ(job->repository, "acme/app");
  EXPECT_EQ(events_for_job(7001), 1);
  EXPECT_TRUE(suite->aws->rejections().empty()) << suite->aws->rejections().front();
  EXPECT_TRUE(runtime_->rejections().empty());
}

TEST_F(LambdaPackageTest, RestApiV1WebhookIsStoredAndAnnounced) {
  start("bootstrap.webhook");
  const std::string body = job_payload(7002);
  json::object answer = invoke(v1_event(body, "d-7002", webhook::sign(kSecret, body)));
  ASSERT_FALSE(answer.empty());
  EXPECT_EQ(answer.at("statusCode").as_int64(), 200) << json::serialize(answer);
  ASSERT_TRUE(answer.contains("multiValueHeaders"));
  auto job = suite->store->get_job(7002);
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(events_for_job(7002), 1);

  // A redelivery is a duplicate in the store, announced again (harmless: reconcile is idempotent).
  json::object again = invoke(v1_event(body, "d-7002", webhook::sign(kSecret, body)));
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.at("statusCode").as_int64(), 200);
  EXPECT_NE(std::string(again.at("body").as_string()).find("duplicate"), std::string::npos);
}

TEST_F(LambdaPackageTest, BadSignatureIsAnswered401AndChangesNothing) {
  start("webhook");
  const std::string body = job_payload(7003);
  json::object answer = invoke(v2_event(body, "d-7003", webhook::sign("not-the-secret", body)));
  ASSERT_FALSE(answer.empty());
  EXPECT_EQ(answer.at("statusCode").as_int64(), 401);
  EXPECT_EQ(suite->store->get_job(7003).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(events_for_job(7003), 0);
}

TEST_F(LambdaPackageTest, ReconcileInvocationLaunchesCapacity) {
  // A queued job in the store, as a webhook would have left it.
  JobEvent e;
  e.delivery_id = "d-7004";
  e.event = "workflow_job";
  e.action = "queued";
  e.job_id = 7004;
  e.run_id = 78;
  e.repository = "acme/app";
  e.owner = "acme";
  e.labels = LabelSet{"self-hosted", "linux", "x64"};
  e.status = JobStatus::kQueued;
  e.received_at = system_clock()->now();
  ASSERT_TRUE(suite->store->record(e).ok());

  // This function reads its configuration from SSM rather than the bundled file.
  start("reconcile", {"GHSCALE_CONFIG_SSM_PARAMETER=" + std::string(kConfigParameter)});
  json::object summary = invoke(R"({"pools": ["linux"], "iteration": 1})");
  ASSERT_FALSE(summary.empty());
  EXPECT_TRUE(summary.at("acted").as_bool()) << json::serialize(summary);
  EXPECT_TRUE(summary.at("scaled").as_bool()) << json::serialize(summary);
  EXPECT_EQ(summary.at("errors").as_int64(), 0) << json::serialize(summary);
  EXPECT_EQ(summary.at("pending_registrations").as_int64(), 0);
  EXPECT_NE(std::string(summary.at("holder").as_string()).find(':'), std::string::npos);
  const json::array& pools = summary.at("pools").as_array();
  ASSERT_EQ(pools.size(), 1u);
  const json::object& linux_pool = pools[0].as_object();
  EXPECT_EQ(linux_pool.at("pool").as_string(), "linux");
  EXPECT_EQ(linux_pool.at("action").as_string(), "scale_out");
  EXPECT_GE(linux_pool.at("launched").as_int64(), 1);
  EXPECT_GE(linux_pool.at("queued").as_int64(), 1);
  for (const char* key : {"terminated", "desired", "running", "idle", "busy", "booting", "cooldown_remaining_ms"}) {
    EXPECT_TRUE(linux_pool.contains(key)) << key;
  }
  // The runner got its JIT config from GitHub, and the action log says so.
  auto actions = suite->store->last_actions(20);
  ASSERT_TRUE(actions.ok());
  bool scaled_out = false;
  for (const auto& a : *actions) scaled_out = scaled_out || (a.pool == "linux" && a.kind == ActionKind::kScaleOut);
  EXPECT_TRUE(scaled_out);
  // On the fake AWS: the group's desired capacity rose, and each new instance's
  // registration waits in SSM as a SecureString for its bootstrap.
  auto g = suite->aws->group("ghscale-runners-linux");
  ASSERT_TRUE(g.has_value());
  EXPECT_GE(g->desired_capacity, 1);
  ASSERT_FALSE(g->instance_ids.empty());
  for (const auto& id : g->instance_ids) {
    auto param = suite->aws->parameter("/ghscale/runners/" + id);
    ASSERT_TRUE(param.has_value()) << id;
    EXPECT_EQ(param->type, "SecureString");
  }

  // A pool the configuration does not have is the invocation's error, not a crash.
  const std::string id = runtime_->enqueue(R"({"pools": ["windows"]})");
  auto failed = wait_for(id);
  ASSERT_TRUE(failed.has_value());
  EXPECT_TRUE(failed->error);
  EXPECT_EQ(failed->error_type, "ghscale.invalid");
}

TEST_F(LambdaPackageTest, HandlerFailureGoesToTheErrorEndpointAndTheLoopGoesOn) {
  start("webhook");
  const std::string bad = runtime_->enqueue(R"({"not": "an API Gateway event"})");
  auto failed = wait_for(bad);
  ASSERT_TRUE(failed.has_value()) << process_->err();
  EXPECT_TRUE(failed->error);
  EXPECT_EQ(failed->error_type, "ghscale.invalid");
  json::value doc = json::parse(failed->body);
  EXPECT_EQ(doc.at("errorType").as_string(), "ghscale.invalid");
  EXPECT_FALSE(doc.at("errorMessage").as_string().empty());

  const std::string body = job_payload(7005);
  json::object answer = invoke(v2_event(body, "d-7005", webhook::sign(kSecret, body)));
  ASSERT_FALSE(answer.empty());
  EXPECT_EQ(answer.at("statusCode").as_int64(), 200);
}

TEST_F(LambdaPackageTest, BadConfigurationIsAnInitError) {
  std::ofstream(suite->dir / "bad.yaml") << "webhook:\n  secrets: [env:X]\npools: 3\n";
  start("reconcile", {"GHSCALE_CONFIG=" + (suite->dir / "bad.yaml").string()});
  auto init = runtime_->wait_for_init_error(60s);
  ASSERT_TRUE(init.has_value()) << process_->err();
  EXPECT_EQ(init->error_type, "ghscale.invalid");
  EXPECT_NE(init->body.find("bad.yaml"), std::string::npos) << init->body;
  auto code = process_->wait(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_EQ(runtime_->next_calls(), 0) << "no invocation is asked for after a failed init";
}

}  // namespace
}  // namespace ghscale
