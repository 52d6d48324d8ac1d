// DynamoDB, what the shared store needs: single-item reads and conditional writes,
// Query over a partition (all pages), and table bootstrap. Items and keys stay in
// DynamoDB's own JSON form ({"PK": {"S": "x"}}), which the store maps to its types.
// Thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_client.h"

namespace ghscale::aws {

using DynamoItem = boost::json::object;

// A condition or update expression with its placeholders (#n → name, :v → value).
struct Expression {
  std::string text;
  boost::json::object names;   // {"#n": "attr"}
  boost::json::object values;  // {":v": {"S": "x"}}
};

struct DynamoQuery {
  std::string table;
  std::string index;  // empty = the table
  Expression key_condition;
  std::string filter;  // optional FilterExpression (placeholders in key_condition)
  bool scan_forward = true;
  bool consistent_read = false;
  int limit = 0;  // per page; 0 = the service's default
};

struct TableDescription {
  std::string name;
  std::string status;  // "CREATING", "ACTIVE", ...
  std::int64_t item_count = 0;
  std::vector<std::string> key_names;  // HASH first, then RANGE
};

struct TableSpec {
  std::string name;
  std::string partition_key = "PK";
  std::string sort_key = "SK";  // empty = none
};

class DynamoDbClient {
 public:
  explicit DynamoDbClient(std::shared_ptr<AwsClient> client) : client_(std::move(client)) {}

  // nullopt when there is no such item.
  Result<std::optional<DynamoItem>> get_item(const std::string& table, const DynamoItem& key,
                                             bool consistent_read = true);
  // A failed condition is kConflict.
  Status put_item(const std::string& table, const DynamoItem& item, const Expression* condition = nullptr);
  // Returns the item after the update (ALL_NEW).
  Result<DynamoItem> update_item(const std::string& table, const DynamoItem& key, const Expression& update,
                                 const std::string& condition = {});
  Status delete_item(const std::string& table, const DynamoItem& key, const Expression* condition = nullptr);
  Result<std::vector<DynamoItem>> query(const DynamoQuery& query);
  // Pay-per-request, string keys. kConflict when it exists.
  Status create_table(const TableSpec& spec);
  Result<TableDescription> describe_table(const std::string& table);

  AwsClient& raw() { return *client_; }

 private:
  std::shared_ptr<AwsClient> client_;
};

}  // namespace ghscale::aws
