#include "store/dynamodb/table.h"

#include <algorithm>
#include <boost/json.hpp>
#include <thread>

#include "store/dynamodb/dynamodb_store.h"

namespace ghscale::store {
namespace ddb {

namespace json = boost::json;

namespace {

constexpr std::string_view kWhatToDo =
    "create it with `ghscale store init --config FILE` (development) or deploy the table from the "
    "templates in deploy/aws/";

std::string member(const json::value& v, std::string_view name) {
  if (!v.is_object()) return {};
  const json::value* m = v.as_object().if_contains(name);
  return m != nullptr && m->is_string() ? std::string(m->as_string()) : std::string();
}

// "PK (HASH, S), SK (RANGE, S)" for messages.
std::string describe_keys(const json::array& schema, const json::array& definitions) {
  std::string out;
  for (const auto& k : schema) {
    const std::string name = member(k, "AttributeName");
    std::string type = "?";
    for (const auto& d : definitions) {
      if (member(d, "AttributeName") == name) type = member(d, "AttributeType");
    }
    if (!out.empty()) out += ", ";
    out += name + " (" + member(k, "KeyType") + ", " + type + ")";
  }
  return out.empty() ? "no keys" : out;
}

const json::array& array_member(const json::object& o, std::string_view name) {
  static const json::array empty;
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_array() ? v->as_array() : empty;
}

}  // namespace

Result<TableState> check_table(aws::DynamoDbClient& client, const std::string& table) {
  auto out = client.raw().call("DescribeTable", json::object{{"TableName", table}});
  if (!out.ok()) {
    if (out.error().kind == ErrorKind::kNotFound) {
      return make_error(ErrorKind::kNotFound, "DynamoDB table '" + table + "' does not exist (region " +
                                                  client.raw().region() + ", endpoint " + client.raw().endpoint() +
                                                  "); " + std::string(kWhatToDo));
    }
    Error e = out.error();
    e.message = "cannot describe DynamoDB table '" + table + "': " + e.message;
    return e;
  }
  const json::value* t = out->is_object() ? out->as_object().if_contains("Table") : nullptr;
  if (t == nullptr || !t->is_object()) {
    return make_error(ErrorKind::kPermanent, "DescribeTable for '" + table + "' returned no table description");
  }
  const json::object& desc = t->as_object();
  const json::array& schema = array_member(desc, "KeySchema");
  const json::array& definitions = array_member(desc, "AttributeDefinitions");
  auto key_is = [&](std::string_view name, std::string_view key_type) {
    for (const auto& k : schema) {
      if (member(k, "AttributeName") != name) continue;
      if (member(k, "KeyType") != key_type) return false;
      for (const auto& d : definitions) {
        if (member(d, "AttributeName") == name) return member(d, "AttributeType") == "S";
      }
    }
    return false;
  };
  if (schema.size() != 2 || !key_is("PK", "HASH") || !key_is("SK", "RANGE")) {
    return make_error(ErrorKind::kInvalid,
                      "DynamoDB table '" + table + "' has keys " + describe_keys(schema, definitions) +
                          " but ghscale needs partition key PK (string) and sort key SK (string), as the "
                          "original system's table; point store.dynamodb.table at such a table or " +
                          std::string(kWhatToDo) + " under another name");
  }
  return TableState{member(*t, "TableStatus")};
}

}  // namespace ddb

Result<TableInit> ensure_dynamodb_table(aws::DynamoDbClient& client, const std::string& table,
                                        Duration wait_for_active) {
  if (table.empty()) return make_error(ErrorKind::kInvalid, "no DynamoDB table name (store.dynamodb.table)");
  TableInit outcome = TableInit::kAlreadyThere;
  auto state = ddb::check_table(client, table);
  if (!state.ok()) {
    if (state.error().kind != ErrorKind::kNotFound) return state.error();
    Status created = client.create_table({.name = table});
    // Someone else creating it at the same moment is as good as our own create.
    if (!created.ok() && created.error().kind != ErrorKind::kConflict) {
      Error e = created.error();
      e.message = "cannot create DynamoDB table '" + table + "': " + e.message;
      return e;
    }
    outcome = created.ok() ? TableInit::kCreated : TableInit::kAlreadyThere;
  }
  const auto deadline = std::chrono::steady_clock::now() + wait_for_active;
  Duration pause(20);  // a local DynamoDB is ready at once; AWS takes seconds
  for (;;) {
    state = ddb::check_table(client, table);
    if (!state.ok()) return state.error();
    if (state->status == "ACTIVE") return outcome;
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(ErrorKind::kRetryable,
                        "DynamoDB table '" + table + "' is still " + state->status + "; run the command again shortly");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min<Duration>(pause * 2, Duration(1000));
  }
}

}  // namespace ghscale::store
