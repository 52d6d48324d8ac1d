// Signing cost per request, for a typical EC2 Query POST (the goal is <= 10 us).
// The signing key is cached after the first request, as it is in a running client.
#include <benchmark/benchmark.h>

#include "aws/sigv4.h"
#include "aws/timestamp.h"

namespace {

using ghscale::aws::Credentials;
using ghscale::aws::Request;
using ghscale::aws::Signer;
using ghscale::aws::SigningOptions;

Request ec2_request() {
  Request req;
  req.method = "POST";
  req.path = "/";
  req.headers = {{"Host", "ec2.eu-west-1.amazonaws.com"},
                 {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                 {"User-Agent", "ghscale/0.1"}};
  req.body =
      "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Aghscale%3Apool&Filter.1.Value.1=linux-x64"
      "&Filter.2.Name=instance-state-name&Filter.2.Value.1=pending&Filter.2.Value.2=running&MaxResults=500";
  req.headers.push_back({"Content-Length", std::to_string(req.body.size())});
  return req;
}

void BM_SignEc2QueryPost(benchmark::State& state) {
  const Signer signer(SigningOptions{"eu-west-1", "ec2"});
  const Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                          state.range(0) ? "IQoJb3JpZ2luX2VjEXAMPLETOKENvalue0123456789" : ""};
  const auto now = ghscale::aws::parse_iso8601("2024-05-01T12:00:00Z").value();
  const Request base = ec2_request();
  for (auto _ : state) {
    Request req = base;
    benchmark::DoNotOptimize(signer.sign(req, creds, now).ok());
    benchmark::DoNotOptimize(req.headers.data());
  }
  state.SetLabel(state.range(0) ? "with session token" : "long-term keys");
}
BENCHMARK(BM_SignEc2QueryPost)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_DeriveSigningKey(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        ghscale::aws::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20240501", "eu-west-1", "ec2"));
  }
}
BENCHMARK(BM_DeriveSigningKey)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
