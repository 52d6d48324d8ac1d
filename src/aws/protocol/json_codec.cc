// JSON 1.0 / 1.1 bodies (DynamoDB, SSM, EventBridge): the value tree is almost the wire
// form already; the model decides key names, timestamps (epoch seconds by default) and
// blobs (base64).
#include <boost/json.hpp>

#include "aws/encoding.h"
#include "aws/protocol/codecs.h"
#include "aws/protocol/scalars.h"

namespace ghscale::aws::protocol {
namespace json = boost::json;
namespace {

Result<json::value> to_wire(const json::value& v, const MemberRef& ref, const SerializeOptions& options,
                            const std::string& path) {
  const Shape& shape = *ref.shape;
  if (shape.document) return v;
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!v.is_object()) return invalid_param(path, "expected an object for " + shape.name);
      json::object out;
      for (const auto& [key, item] : v.get_object()) {
        const MemberRef* member = shape.find_member(key);
        if (member == nullptr) return invalid_param(path + "." + std::string(key), "not a member of " + shape.name);
        if (item.is_null()) continue;
        auto wire = to_wire(item, *member, options, path + "." + std::string(key));
        if (!wire.ok()) return wire;
        out[member->location_name.empty() ? std::string_view(key) : std::string_view(member->location_name)] =
            std::move(*wire);
      }
      for (const auto& [key, member] : shape.members) {
        if (member.idempotency_token && options.idempotency_token && !v.get_object().contains(key)) {
          out[member.location_name.empty() ? key : member.location_name] = options.idempotency_token();
        }
      }
      return json::value(std::move(out));
    }
    case ShapeType::kList: {
      if (!v.is_array()) return invalid_param(path, "expected an array");
      json::array out;
      for (const auto& item : v.get_array()) {
        auto wire = to_wire(item, shape.member, options, path + "[]");
        if (!wire.ok()) return wire;
        out.push_back(std::move(*wire));
      }
      return json::value(std::move(out));
    }
    case ShapeType::kMap: {
      if (!v.is_object()) return invalid_param(path, "expected an object (map)");
      json::object out;
      for (const auto& [key, item] : v.get_object()) {
        auto wire = to_wire(item, shape.value, options, path + "." + std::string(key));
        if (!wire.ok()) return wire;
        out[key] = std::move(*wire);
      }
      return json::value(std::move(out));
    }
    case ShapeType::kTimestamp: {
      auto t = timestamp_from_value(v);
      if (!t.ok()) return invalid_param(path, t.error().message);
      const std::string_view format = timestamp_format(ref, "unixTimestamp");
      if (format == "unixTimestamp") return timestamp_to_value(*t);
      return json::value(json::string(format_timestamp(*t, format)));
    }
    case ShapeType::kBlob:
      if (!v.is_string()) return invalid_param(path, "expected a string (blob)");
      return json::value(json::string(base64_encode(v.get_string())));
    case ShapeType::kString:
      if (!v.is_string()) return invalid_param(path, "expected a string");
      return v;
    case ShapeType::kBoolean:
      if (!v.is_bool()) return invalid_param(path, "expected a boolean");
      return v;
    case ShapeType::kInteger:
    case ShapeType::kLong:
      if (!v.is_int64() && !v.is_uint64()) return invalid_param(path, "expected an integer");
      return v;
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (v.is_number()) return v;
      if (v.is_string() && (v.get_string() == "NaN" || v.get_string() == "Infinity" || v.get_string() == "-Infinity")) {
        return v;
      }
      return invalid_param(path, "expected a number");
  }
  return invalid_param(path, "unsupported shape");
}

Result<json::value> from_wire(const json::value& v, const MemberRef& ref) {
  const Shape& shape = *ref.shape;
  if (shape.document) return v;
  auto mismatch = [&] { return make_error(ErrorKind::kInvalid, "JSON value does not fit shape " + shape.name); };
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!v.is_object()) return mismatch();
      json::object out;
      const json::object& in = v.get_object();
      for (const auto& [name, member] : shape.members) {
        const json::value* item = in.if_contains(member.location_name.empty() ? name : member.location_name);
        if (item == nullptr || item->is_null()) continue;
        auto parsed = from_wire(*item, member);
        if (!parsed.ok()) return parsed;
        out[name] = std::move(*parsed);
      }
      return json::value(std::move(out));
    }
    case ShapeType::kList: {
      if (!v.is_array()) return mismatch();
      json::array out;
      for (const auto& item : v.get_array()) {
        if (item.is_null()) {  // sparse lists keep their holes
          out.push_back(nullptr);
          continue;
        }
        auto parsed = from_wire(item, shape.member);
        if (!parsed.ok()) return parsed;
        out.push_back(std::move(*parsed));
      }
      return json::value(std::move(out));
    }
    case ShapeType::kMap: {
      if (!v.is_object()) return mismatch();
      json::object out;
      for (const auto& [key, item] : v.get_object()) {
        if (item.is_null()) {
          out[key] = nullptr;
          continue;
        }
        auto parsed = from_wire(item, shape.value);
        if (!parsed.ok()) return parsed;
        out[key] = std::move(*parsed);
      }
      return json::value(std::move(out));
    }
    case ShapeType::kTimestamp: {
      auto t = timestamp_from_value(v);
      if (!t.ok()) return t.error();
      return timestamp_to_value(*t);
    }
    case ShapeType::kBlob: {
      if (!v.is_string()) return mismatch();
      auto bytes = base64_decode(v.get_string());
      if (!bytes) return mismatch();
      return json::value(json::string(*bytes));
    }
    case ShapeType::kString:
      if (!v.is_string()) return mismatch();
      return v;
    case ShapeType::kBoolean:
      if (!v.is_bool()) return mismatch();
      return v;
    case ShapeType::kInteger:
    case ShapeType::kLong:
      if (!v.is_int64() && !v.is_uint64()) return mismatch();
      return v;
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (v.is_number() || v.is_string()) return v;
      return mismatch();
  }
  return mismatch();
}

// "aws.protocoltests#FooError:http://internal..." → "FooError".
std::string sanitize_error_code(std::string_view code) {
  if (const size_t colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  if (const size_t hash = code.rfind('#'); hash != std::string_view::npos) code = code.substr(hash + 1);
  return std::string(code);
}

}  // namespace

Result<std::string> serialize_json_body(const Operation& operation, const json::value& params,
                                        const SerializeOptions& options) {
  if (operation.input == nullptr) return std::string("{}");
  MemberRef root;
  root.shape = operation.input;
  auto wire = to_wire(params.is_null() ? json::value(json::object()) : params, root, options, "");
  if (!wire.ok()) return wire.error();
  return json::serialize(*wire);
}

Result<json::value> parse_json_output(const Operation& operation, std::string_view body) {
  if (operation.output == nullptr || body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return json::value(json::object());
  }
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  // As for XML: the same request gets the same body again, so retrying cannot help.
  if (ec) return make_error(ErrorKind::kPermanent, "unreadable JSON response: " + ec.message());
  MemberRef root;
  root.shape = operation.output;
  auto out = from_wire(doc, root);
  if (!out.ok()) return make_error(ErrorKind::kPermanent, "unexpected JSON response: " + out.error().message);
  return out;
}

ApiError parse_json_error(const HttpResponse& response, const ShapeModel& shapes) {
  ApiError err;
  err.http_status = response.status;
  err.fields = json::object();
  boost::system::error_code ec;
  json::value doc = response.body.empty() ? json::value(json::object()) : json::parse(response.body, ec);
  const json::object empty;
  const json::object& body = (!ec && doc.is_object()) ? doc.get_object() : empty;
  auto string_at = [&](std::string_view key) -> std::string {
    const json::value* v = body.if_contains(key);
    return (v != nullptr && v->is_string()) ? std::string(v->get_string()) : std::string();
  };
  for (const auto& h : response.headers) {
    if (iequals(h.name, "x-amzn-errortype")) err.code = sanitize_error_code(h.value);
    if (iequals(h.name, "x-amzn-requestid") || iequals(h.name, "x-amz-request-id")) err.request_id = h.value;
  }
  if (err.code.empty()) err.code = sanitize_error_code(string_at("__type"));
  if (err.code.empty()) err.code = sanitize_error_code(string_at("code"));
  if (err.code.empty()) err.code = "HttpStatus" + std::to_string(response.status);
  for (std::string_view key : {"message", "Message", "errorMessage"}) {
    if (err.message.empty()) err.message = string_at(key);
  }
  if (const Shape* shape = shapes.find_error(err.code); shape != nullptr) {
    MemberRef ref;
    ref.shape = shape;
    if (auto fields = from_wire(json::value(body), ref); fields.ok()) err.fields = std::move(*fields);
  }
  return err;
}

}  // namespace ghscale::aws::protocol
