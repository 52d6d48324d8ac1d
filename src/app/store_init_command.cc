#include "app/store_init_command.h"

#include <iostream>

#include "app/exit_codes.h"
#include "config/loader.h"
#include "store/dynamodb/dynamodb_store.h"

namespace ghscale::app {

int run_store_init(const std::string& config_path) {
  auto loaded = config::load_config_file(config_path);
  if (!loaded.ok()) {
    std::cerr << config::format_all(loaded.errors);
    return kExitUsage;
  }
  const config::StoreConfig& cfg = loaded.config->store;
  if (cfg.kind != config::StoreConfig::Kind::kDynamoDb) {
    std::cerr << "ghscale: store init creates a DynamoDB table, but " << config_path
              << " uses store.sqlite, which `ghscale serve` creates by itself; nothing to do\n";
    return kExitUsage;
  }
  aws::SessionOptions session;
  session.region = cfg.dynamodb_region;
  session.endpoint_url = cfg.dynamodb_endpoint_url;
  auto client = store::make_dynamodb_client(std::move(session));
  if (!client) {
    std::cerr << "ghscale: " << client.error().message << "\n";
    return client.error().kind == ErrorKind::kInvalid ? kExitUsage : kExitFailure;
  }
  auto outcome = store::ensure_dynamodb_table(**client, cfg.dynamodb_table);
  if (!outcome) {
    std::cerr << "ghscale: " << outcome.error().message << "\n";
    return kExitFailure;
  }
  const auto& raw = (*client)->raw();
  if (*outcome == store::TableInit::kCreated) {
    std::cout << "created DynamoDB table " << cfg.dynamodb_table << " (PAY_PER_REQUEST, keys PK and SK, strings) in "
              << raw.region() << " at " << raw.endpoint() << "\n";
  } else {
    std::cout << "DynamoDB table " << cfg.dynamodb_table << " already exists with keys PK and SK in " << raw.region()
              << "; nothing to do\n";
  }
  return kExitOk;
}

}  // namespace ghscale::app
