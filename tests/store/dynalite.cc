#include "dynalite.h"

#include <functional>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "http/client.h"
#include "support/dynalite_process.h"

namespace ghscale::store::testing {

struct Dynalite::Process {
  std::unique_ptr<ghscale::testing::DynaliteProcess> server;
};

Dynalite& Dynalite::get() {
  static Dynalite instance;
  return instance;
}

Dynalite::Dynalite() : process_(std::make_unique<Process>()) {
  process_->server = ghscale::testing::start_dynalite();
  endpoint_ = process_->server->endpoint;
  unavailable_ = process_->server->unavailable;
}

Dynalite::~Dynalite() = default;

std::shared_ptr<aws::DynamoDbClient> Dynalite::client() const {
  aws::AwsClientOptions options;
  options.http = http::make_curl_client();
  options.credentials = aws::make_static_provider({"AKIDLOCAL", "local-secret", ""});
  options.sleeper = [](Duration) {};
  return std::make_shared<aws::DynamoDbClient>(
      std::make_shared<aws::AwsClient>(aws::Service::kDynamoDb, "us-east-1", endpoint_, options));
}

std::string Dynalite::table_for(const std::string& seed) {
  return "ghscale-test-" + std::to_string(std::hash<std::string>{}(seed));
}

}  // namespace ghscale::store::testing
