// The table's shape: what the backend requires of it and how it is created. Internal to
// the DynamoDB backend.
#pragma once

#include <string>

#include "aws/services/dynamodb.h"
#include "core/error.h"

namespace ghscale::store::ddb {

struct TableState {
  std::string status;  // ACTIVE, CREATING, UPDATING, ...
};

// DescribeTable and check the key schema: HASH "PK" and RANGE "SK", both strings.
// kNotFound when missing, kInvalid when keyed otherwise; messages say what to do.
Result<TableState> check_table(aws::DynamoDbClient& client, const std::string& table);

}  // namespace ghscale::store::ddb
