// The shape model of an AWS service, in botocore's service-2.json form: shapes
// (structures, lists, maps, scalars) with their serialization traits, and operations.
// Serializers and parsers are driven by it, so a service client is a model plus names.
// Immutable after loading; Shape pointers stay valid for the life of the model (it may
// be moved, not copied). Thread-safe for reading.
#pragma once

#include <boost/json/fwd.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ghscale::aws::protocol {

enum class ShapeType { kStructure, kList, kMap, kString, kInteger, kLong, kFloat, kDouble, kBoolean, kTimestamp, kBlob };

struct Shape;

// A reference to a shape from a structure member, list member or map key/value, with
// the traits that belong to the reference rather than the shape.
struct MemberRef {
  const Shape* shape = nullptr;
  std::string location_name;     // wire name (XML element, JSON key, query key)
  std::string query_name;        // ec2 only; wins over location_name
  std::string timestamp_format;  // "iso8601", "unixTimestamp", "rfc822"; empty = shape/protocol default
  bool flattened = false;
  bool idempotency_token = false;
};

struct Shape {
  std::string name;
  ShapeType type = ShapeType::kString;
  std::vector<std::pair<std::string, MemberRef>> members;  // structures, in model order
  MemberRef member;                                       // lists
  MemberRef key, value;                                   // maps
  bool flattened = false;
  bool document = false;  // free-form JSON, passed through as is
  bool exception = false;
  std::string error_code;  // for exceptions: error.code, else the shape name
  std::string timestamp_format;

  const MemberRef* find_member(std::string_view member_name) const;
};

struct Operation {
  std::string name;
  std::string http_method = "POST";
  std::string request_uri = "/";
  const Shape* input = nullptr;   // may be null
  const Shape* output = nullptr;  // may be null
  std::string result_wrapper;     // query protocol: element holding the output
};

struct ServiceMetadata {
  std::string protocol;  // "query", "ec2", "json"
  std::string api_version;
  std::string json_version;   // "1.0" or "1.1"
  std::string target_prefix;  // X-Amz-Target prefix
  std::string endpoint_prefix;
  std::string signing_name;
};

class ShapeModel {
 public:
  // From a "shapes" object. kInvalid on unknown types or dangling references.
  static Result<ShapeModel> load(const boost::json::object& shapes);

  const Shape* find(std::string_view name) const;
  // The exception shape whose error code (or name) is `code`, or nullptr.
  const Shape* find_error(std::string_view code) const;

 private:
  std::map<std::string, std::unique_ptr<Shape>, std::less<>> shapes_;
};

class ServiceModel {
 public:
  // From the text of a service-2.json (or a compact embedded definition of the same form:
  // "metadata", "operations", "shapes").
  static Result<ServiceModel> parse(std::string_view json_text);
  static Result<ServiceModel> load(const boost::json::object& model);

  const ServiceMetadata& metadata() const { return metadata_; }
  const ShapeModel& shapes() const { return shapes_; }
  const Operation* operation(std::string_view name) const;

 private:
  ServiceMetadata metadata_;
  ShapeModel shapes_;
  std::map<std::string, Operation, std::less<>> operations_;
};

// Helpers shared with tests that build models from fragments.
ServiceMetadata parse_metadata(const boost::json::object& metadata);
// An operation definition ("name", "http", "input", "output"); shapes resolved in `shapes`.
Result<Operation> parse_operation(const boost::json::object& definition, const ShapeModel& shapes);

}  // namespace ghscale::aws::protocol
