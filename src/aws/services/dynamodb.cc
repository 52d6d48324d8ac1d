#include "aws/services/dynamodb.h"

#include "aws/services/json_util.h"

namespace ghscale::aws {

namespace json = boost::json;
using services::arr;
using services::obj;
using services::str;

namespace {

void add_expression(json::object& params, const char* field, const Expression& e) {
  params[field] = e.text;
  if (!e.names.empty()) {
    json::object& names = params["ExpressionAttributeNames"].emplace_object();
    for (const auto& [k, v] : e.names) names[k] = v;
  }
  if (!e.values.empty()) {
    json::object& values = params["ExpressionAttributeValues"].emplace_object();
    for (const auto& [k, v] : e.values) values[k] = v;
  }
}

Status to_status(const Result<json::value>& r) {
  return r.ok() ? ok_status() : Status(r.error());
}

}  // namespace

Result<std::optional<DynamoItem>> DynamoDbClient::get_item(const std::string& table, const DynamoItem& key,
                                                           bool consistent_read) {
  auto out =
      client_->call("GetItem", json::object{{"TableName", table}, {"Key", key}, {"ConsistentRead", consistent_read}});
  if (!out.ok()) return out.error();
  const json::value* item = out->as_object().if_contains("Item");
  if (item == nullptr || !item->is_object()) return std::optional<DynamoItem>();
  return std::optional<DynamoItem>(item->as_object());
}

Status DynamoDbClient::put_item(const std::string& table, const DynamoItem& item, const Expression* condition) {
  json::object params{{"TableName", table}, {"Item", item}};
  if (condition != nullptr) add_expression(params, "ConditionExpression", *condition);
  return to_status(client_->call("PutItem", params));
}

Result<DynamoItem> DynamoDbClient::update_item(const std::string& table, const DynamoItem& key,
                                               const Expression& update, const std::string& condition) {
  json::object params{{"TableName", table}, {"Key", key}, {"ReturnValues", "ALL_NEW"}};
  add_expression(params, "UpdateExpression", update);
  if (!condition.empty()) params["ConditionExpression"] = condition;
  auto out = client_->call("UpdateItem", params);
  if (!out.ok()) return out.error();
  return obj(*out, "Attributes");
}

Status DynamoDbClient::delete_item(const std::string& table, const DynamoItem& key, const Expression* condition) {
  json::object params{{"TableName", table}, {"Key", key}};
  if (condition != nullptr) add_expression(params, "ConditionExpression", *condition);
  return to_status(client_->call("DeleteItem", params));
}

Result<std::vector<DynamoItem>> DynamoDbClient::query(const DynamoQuery& q) {
  std::vector<DynamoItem> items;
  json::value start;
  do {
    json::object params{
        {"TableName", q.table}, {"ScanIndexForward", q.scan_forward}, {"ConsistentRead", q.consistent_read}};
    if (!q.index.empty()) params["IndexName"] = q.index;
    add_expression(params, "KeyConditionExpression", q.key_condition);
    if (!q.filter.empty()) params["FilterExpression"] = q.filter;
    if (q.limit > 0) params["Limit"] = q.limit;
    if (start.is_object()) params["ExclusiveStartKey"] = start;
    auto out = client_->call("Query", params);
    if (!out.ok()) return out.error();
    for (const auto& item : arr(*out, "Items")) {
      if (item.is_object()) items.push_back(item.as_object());
    }
    const json::value* last = out->as_object().if_contains("LastEvaluatedKey");
    start = last != nullptr && last->is_object() && !last->as_object().empty() ? *last : json::value();
  } while (start.is_object());
  return items;
}

Status DynamoDbClient::create_table(const TableSpec& spec) {
  json::array attributes{json::object{{"AttributeName", spec.partition_key}, {"AttributeType", "S"}}};
  json::array schema{json::object{{"AttributeName", spec.partition_key}, {"KeyType", "HASH"}}};
  if (!spec.sort_key.empty()) {
    attributes.push_back(json::object{{"AttributeName", spec.sort_key}, {"AttributeType", "S"}});
    schema.push_back(json::object{{"AttributeName", spec.sort_key}, {"KeyType", "RANGE"}});
  }
  return to_status(client_->call("CreateTable", json::object{{"TableName", spec.name},
                                                             {"AttributeDefinitions", attributes},
                                                             {"KeySchema", schema},
                                                             {"BillingMode", "PAY_PER_REQUEST"}}));
}

Result<TableDescription> DynamoDbClient::describe_table(const std::string& table) {
  auto out = client_->call("DescribeTable", json::object{{"TableName", table}});
  if (!out.ok()) return out.error();
  const json::value t = obj(*out, "Table");
  TableDescription d{str(t, "TableName"), str(t, "TableStatus"), services::num(t, "ItemCount"), {}};
  for (const auto& k : arr(t, "KeySchema")) d.key_names.push_back(str(k, "AttributeName"));
  return d;
}

}  // namespace ghscale::aws
