// The CPU cost of one AWS call around the network: serialize (model-driven), sign, and
// parse a typical answer, for the query (STS), ec2 (DescribeInstances) and JSON (SSM)
// protocols. The network itself is not measured.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include "aws/models/models.h"
#include "aws/protocol/protocol.h"
#include "aws/sigv4.h"

namespace {

using namespace ghscale;
using namespace ghscale::aws;

const Credentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token"};

void run_call(benchmark::State& state, Service service, const char* operation, const char* params_json,
              const char* response_body) {
  const protocol::ServiceModel& model = embedded_model(service);
  const protocol::Operation* op = model.operation(operation);
  const boost::json::value params = boost::json::parse(params_json);
  Signer signer({.region = "us-east-1", .service = model.metadata().endpoint_prefix});
  protocol::HttpResponse response;
  response.body = response_body;
  const TimePoint now = system_clock()->now();
  for (auto _ : state) {
    auto request = protocol::serialize_request(model.metadata(), *op, params);
    request->set_header("host", "example.amazonaws.com");
    benchmark::DoNotOptimize(signer.sign(*request, kCreds, now).ok());
    auto parsed = protocol::parse_response(model.metadata(), *op, model.shapes(), response);
    benchmark::DoNotOptimize(parsed.ok());
  }
}

void BM_StsGetCallerIdentity(benchmark::State& state) {
  run_call(
      state, Service::kSts, "GetCallerIdentity", "{}",
      R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>)"
      R"(<Arn>arn:aws:iam::123456789012:user/x</Arn><UserId>AIDAX</UserId><Account>123456789012</Account>)"
      R"(</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>)");
}
BENCHMARK(BM_StsGetCallerIdentity);

void BM_Ec2DescribeInstances(benchmark::State& state) {
  run_call(
      state, Service::kEc2, "DescribeInstances",
      R"({"Filters":[{"Name":"tag:ghscale:pool","Values":["linux"]},{"Name":"instance-state-name","Values":["running","pending"]}],"MaxResults":1000})",
      R"(<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>)"
      R"(<reservationSet><item><reservationId>r-1</reservationId><instancesSet><item><instanceId>i-1</instanceId>)"
      R"(<instanceType>c6i.large</instanceType><instanceState><code>16</code><name>running</name></instanceState>)"
      R"(<launchTime>2024-05-01T12:00:00.000Z</launchTime><instanceLifecycle>spot</instanceLifecycle><tagSet>)"
      R"(<item><key>ghscale:pool</key><value>linux</value></item></tagSet></item></instancesSet></item>)"
      R"(</reservationSet></DescribeInstancesResponse>)");
}
BENCHMARK(BM_Ec2DescribeInstances);

void BM_SsmGetParameter(benchmark::State& state) {
  run_call(
      state, Service::kSsm, "GetParameter", R"({"Name":"/ghscale/secret","WithDecryption":true})",
      R"({"Parameter":{"Name":"/ghscale/secret","Type":"SecureString","Value":"v","Version":3,"LastModifiedDate":1714564800.5}})");
}
BENCHMARK(BM_SsmGetParameter);

}  // namespace
