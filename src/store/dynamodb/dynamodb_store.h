// The shared Store for several daemons and the serverless shape: one DynamoDB table with
// string keys PK and SK, compatible with the original system's table (its
// settings_cooldown and activity_scaling items are read and written as it did). Layout,
// conditional writes and repair rules: docs/store-dynamodb.md.
//
// Thread-safe (the DynamoDB client is). There are no transactions: every multi-item
// change is ordered so a crash part-way leaves a state the next write or read repairs,
// and the canonical job item alone decides dedupe and status (conditional writes).
// Throttling is retried by the AWS client.
#pragma once

#include <memory>
#include <string>

#include "aws/services/dynamodb.h"
#include "aws/session.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

namespace ghscale::store {

struct DynamoDbOptions {
  // The client to use; when null, one is made from `session` (region, endpoint_url,
  // credentials; empty fields resolve the SDKs' standard way).
  std::shared_ptr<aws::DynamoDbClient> client;
  aws::SessionOptions session;
  std::string table;
  std::shared_ptr<Clock> clock;  // for retention; nullptr = the system clock
};

// Makes a DynamoDB client from session options (kInvalid without a region, ...).
Result<std::shared_ptr<aws::DynamoDbClient>> make_dynamodb_client(aws::SessionOptions options);

// Checks the table (DescribeTable) and opens the store. Changes nothing when refusing:
// kNotFound when the table does not exist, kInvalid when its keys are not PK/SK strings,
// kRetryable while it is still being created; each message names the table and what to do.
Result<std::unique_ptr<Store>> open_dynamodb_store(const DynamoDbOptions& options);

enum class TableInit { kCreated, kAlreadyThere };

// `ghscale store init`: creates the table (PAY_PER_REQUEST, PK/SK strings) and waits until
// it is ACTIVE. Idempotent: an existing table with the right keys is fine; one with other
// keys is kInvalid and left untouched.
Result<TableInit> ensure_dynamodb_table(aws::DynamoDbClient& client, const std::string& table,
                                        Duration wait_for_active = std::chrono::seconds(120));

}  // namespace ghscale::store
