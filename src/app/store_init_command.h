// `ghscale store init --config FILE`: creates the configured DynamoDB table for
// development (PAY_PER_REQUEST, string keys PK and SK); deployments create it from the
// templates. Idempotent.
#pragma once

#include <string>

namespace ghscale::app {

// Exit codes as documented (app/exit_codes.h): 0 created or already right; 1 AWS refused
// or the table has other keys; 2 bad configuration or a store that needs no init.
int run_store_init(const std::string& config_path);

}  // namespace ghscale::app
