#include "aws/protocol/shape_model.h"

#include <boost/json.hpp>

namespace ghscale::aws::protocol {
namespace json = boost::json;
namespace {

std::string string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return (v != nullptr && v->is_string()) ? std::string(v->get_string()) : std::string();
}

bool bool_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

Result<ShapeType> parse_type(std::string_view type) {
  if (type == "structure") return ShapeType::kStructure;
  if (type == "list") return ShapeType::kList;
  if (type == "map") return ShapeType::kMap;
  if (type == "string") return ShapeType::kString;
  if (type == "integer" || type == "byte" || type == "short") return ShapeType::kInteger;
  if (type == "long") return ShapeType::kLong;
  if (type == "float") return ShapeType::kFloat;
  if (type == "double" || type == "bigdecimal") return ShapeType::kDouble;
  if (type == "boolean") return ShapeType::kBoolean;
  if (type == "timestamp") return ShapeType::kTimestamp;
  if (type == "blob") return ShapeType::kBlob;
  return make_error(ErrorKind::kInvalid, "unknown shape type \"" + std::string(type) + "\"");
}

Result<MemberRef> parse_ref(const json::value& v, const ShapeModel& model) {
  if (!v.is_object()) return make_error(ErrorKind::kInvalid, "shape reference is not an object");
  const json::object& o = v.get_object();
  MemberRef ref;
  const std::string target = string_field(o, "shape");
  ref.shape = model.find(target);
  if (ref.shape == nullptr) return make_error(ErrorKind::kInvalid, "reference to unknown shape \"" + target + "\"");
  ref.location_name = string_field(o, "locationName");
  ref.query_name = string_field(o, "queryName");
  ref.timestamp_format = string_field(o, "timestampFormat");
  ref.flattened = bool_field(o, "flattened");
  ref.idempotency_token = bool_field(o, "idempotencyToken");
  return ref;
}

}  // namespace

const MemberRef* Shape::find_member(std::string_view member_name) const {
  for (const auto& [name, ref] : members) {
    if (name == member_name) return &ref;
  }
  return nullptr;
}

Result<ShapeModel> ShapeModel::load(const json::object& shapes) {
  ShapeModel model;
  // Two passes: create every shape, then resolve references (shapes are recursive).
  for (const auto& [name, def] : shapes) {
    if (!def.is_object()) return make_error(ErrorKind::kInvalid, "shape " + std::string(name) + " is not an object");
    auto type = parse_type(string_field(def.get_object(), "type"));
    if (!type.ok()) return type.error();
    auto shape = std::make_unique<Shape>();
    shape->name = std::string(name);
    shape->type = *type;
    model.shapes_.emplace(shape->name, std::move(shape));
  }
  for (const auto& [name, def] : shapes) {
    const json::object& o = def.get_object();
    Shape& shape = *model.shapes_.at(std::string(name));
    shape.flattened = bool_field(o, "flattened");
    shape.document = bool_field(o, "document");
    shape.exception = bool_field(o, "exception");
    shape.timestamp_format = string_field(o, "timestampFormat");
    shape.error_code = shape.name;
    if (const json::value* err = o.if_contains("error"); err != nullptr && err->is_object()) {
      if (std::string code = string_field(err->get_object(), "code"); !code.empty()) shape.error_code = code;
    }
    if (const json::value* members = o.if_contains("members"); members != nullptr && members->is_object()) {
      for (const auto& [member_name, ref_def] : members->get_object()) {
        auto ref = parse_ref(ref_def, model);
        if (!ref.ok()) return ref.error();
        shape.members.emplace_back(std::string(member_name), std::move(*ref));
      }
    }
    for (auto [key, slot] : {std::pair{"member", &shape.member}, {"key", &shape.key}, {"value", &shape.value}}) {
      if (const json::value* ref_def = o.if_contains(key)) {
        auto ref = parse_ref(*ref_def, model);
        if (!ref.ok()) return ref.error();
        *slot = std::move(*ref);
      }
    }
    if (shape.type == ShapeType::kList && shape.member.shape == nullptr) {
      return make_error(ErrorKind::kInvalid, "list shape " + shape.name + " has no member");
    }
    if (shape.type == ShapeType::kMap && (shape.key.shape == nullptr || shape.value.shape == nullptr)) {
      return make_error(ErrorKind::kInvalid, "map shape " + shape.name + " lacks key or value");
    }
  }
  return model;
}

const Shape* ShapeModel::find(std::string_view name) const {
  auto it = shapes_.find(name);
  return it == shapes_.end() ? nullptr : it->second.get();
}

const Shape* ShapeModel::find_error(std::string_view code) const {
  for (const auto& [name, shape] : shapes_) {
    if (shape->exception && (shape->error_code == code || shape->name == code)) return shape.get();
  }
  return nullptr;
}

ServiceMetadata parse_metadata(const json::object& metadata) {
  ServiceMetadata out;
  out.protocol = string_field(metadata, "protocol");
  out.api_version = string_field(metadata, "apiVersion");
  out.json_version = string_field(metadata, "jsonVersion");
  out.target_prefix = string_field(metadata, "targetPrefix");
  out.endpoint_prefix = string_field(metadata, "endpointPrefix");
  out.signing_name = string_field(metadata, "signingName");
  if (out.signing_name.empty()) out.signing_name = out.endpoint_prefix;
  return out;
}

Result<Operation> parse_operation(const json::object& definition, const ShapeModel& shapes) {
  Operation op;
  op.name = string_field(definition, "name");
  if (const json::value* http = definition.if_contains("http"); http != nullptr && http->is_object()) {
    if (auto m = string_field(http->get_object(), "method"); !m.empty()) op.http_method = m;
    if (auto u = string_field(http->get_object(), "requestUri"); !u.empty()) op.request_uri = u;
  }
  for (auto [key, slot] : {std::pair{"input", &op.input}, {"output", &op.output}}) {
    const json::value* ref = definition.if_contains(key);
    if (ref == nullptr || !ref->is_object()) continue;
    const std::string target = string_field(ref->get_object(), "shape");
    *slot = shapes.find(target);
    if (*slot == nullptr) {
      return make_error(ErrorKind::kInvalid, "operation " + op.name + " refers to unknown shape \"" + target + "\"");
    }
    if (std::string_view(key) == "output") op.result_wrapper = string_field(ref->get_object(), "resultWrapper");
  }
  return op;
}

Result<ServiceModel> ServiceModel::parse(std::string_view json_text) {
  boost::system::error_code ec;
  json::value doc = json::parse(json_text, ec);
  if (ec || !doc.is_object()) return make_error(ErrorKind::kInvalid, "service model is not a JSON object");
  return load(doc.get_object());
}

Result<ServiceModel> ServiceModel::load(const json::object& model) {
  ServiceModel out;
  if (const json::value* md = model.if_contains("metadata"); md != nullptr && md->is_object()) {
    out.metadata_ = parse_metadata(md->get_object());
  }
  const json::value* shapes = model.if_contains("shapes");
  if (shapes == nullptr || !shapes->is_object()) return make_error(ErrorKind::kInvalid, "service model has no shapes");
  auto loaded = ShapeModel::load(shapes->get_object());
  if (!loaded.ok()) return loaded.error();
  out.shapes_ = std::move(*loaded);
  if (const json::value* ops = model.if_contains("operations"); ops != nullptr && ops->is_object()) {
    for (const auto& [name, def] : ops->get_object()) {
      if (!def.is_object()) continue;
      auto op = parse_operation(def.get_object(), out.shapes_);
      if (!op.ok()) return op.error();
      if (op->name.empty()) op->name = std::string(name);
      out.operations_.emplace(std::string(name), std::move(*op));
    }
  }
  return out;
}

const Operation* ServiceModel::operation(std::string_view name) const {
  auto it = operations_.find(name);
  return it == operations_.end() ? nullptr : &it->second;
}

}  // namespace ghscale::aws::protocol
