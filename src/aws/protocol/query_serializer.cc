// Form serialization for the query and ec2 protocols. The two differ only in naming:
// query uses locationName, "member"/"entry" wrappers and honours "flattened"; ec2
// capitalises names, prefers queryName, and always flattens lists (Name.1, Name.2).
#include <boost/json.hpp>

#include "aws/encoding.h"
#include "aws/protocol/codecs.h"
#include "aws/protocol/scalars.h"

namespace ghscale::aws::protocol {
namespace json = boost::json;
namespace {

struct FormWriter {
  bool ec2;
  const SerializeOptions& options;
  std::vector<std::pair<std::string, std::string>> fields;

  std::string member_name(const std::string& key, const MemberRef& ref) const {
    if (!ec2) return ref.location_name.empty() ? key : ref.location_name;
    if (!ref.query_name.empty()) return ref.query_name;
    std::string name = ref.location_name.empty() ? key : ref.location_name;
    if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') name[0] = static_cast<char>(name[0] - 32);
    return name;
  }

  static std::string join(const std::string& prefix, std::string_view name) {
    return prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
  }

  Status write(const json::value& v, const MemberRef& ref, const std::string& prefix) {
    const Shape& shape = *ref.shape;
    switch (shape.type) {
      case ShapeType::kStructure: return write_structure(v, shape, prefix);
      case ShapeType::kList: return write_list(v, ref, prefix);
      case ShapeType::kMap: return write_map(v, ref, prefix);
      default: {
        auto text = scalar_to_text(v, ref, "iso8601");
        if (!text.ok()) return invalid_param(prefix, text.error().message);
        fields.emplace_back(prefix, std::move(*text));
        return ok_status();
      }
    }
  }

  Status write_structure(const json::value& v, const Shape& shape, const std::string& prefix) {
    if (!v.is_object()) return invalid_param(prefix, "expected an object for " + shape.name);
    const json::object& obj = v.get_object();
    for (const auto& [key, member_value] : obj) {
      const MemberRef* member = shape.find_member(key);
      if (member == nullptr) return invalid_param(join(prefix, key), "not a member of " + shape.name);
      if (member_value.is_null()) continue;
      if (Status s = write(member_value, *member, join(prefix, member_name(std::string(key), *member))); !s) return s;
    }
    for (const auto& [key, member] : shape.members) {
      if (member.idempotency_token && options.idempotency_token && !obj.contains(key)) {
        fields.emplace_back(join(prefix, member_name(key, member)), options.idempotency_token());
      }
    }
    return ok_status();
  }

  Status write_list(const json::value& v, const MemberRef& ref, const std::string& prefix) {
    if (!v.is_array()) return invalid_param(prefix, "expected an array");
    const json::array& items = v.get_array();
    const Shape& shape = *ref.shape;
    if (items.empty()) {
      // The query protocol sends an empty list as "Name="; ec2 sends nothing.
      if (!ec2) fields.emplace_back(prefix, "");
      return ok_status();
    }
    std::string list_prefix = prefix;
    if (!ec2 && !(ref.flattened || shape.flattened)) {
      list_prefix = join(prefix, shape.member.location_name.empty() ? "member" : shape.member.location_name);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      if (Status s = write(items[i], shape.member, list_prefix + "." + std::to_string(i + 1)); !s) return s;
    }
    return ok_status();
  }

  Status write_map(const json::value& v, const MemberRef& ref, const std::string& prefix) {
    if (!v.is_object()) return invalid_param(prefix, "expected an object (map)");
    const Shape& shape = *ref.shape;
    const std::string entry_prefix = (ref.flattened || shape.flattened) ? prefix : join(prefix, "entry");
    const std::string key_name = shape.key.location_name.empty() ? "key" : shape.key.location_name;
    const std::string value_name = shape.value.location_name.empty() ? "value" : shape.value.location_name;
    size_t i = 0;
    for (const auto& [key, item] : v.get_object()) {
      const std::string base = entry_prefix + "." + std::to_string(++i) + ".";
      fields.emplace_back(base + key_name, std::string(key));
      if (Status s = write(item, shape.value, base + value_name); !s) return s;
    }
    return ok_status();
  }
};

}  // namespace

Result<std::string> serialize_form_body(const ServiceMetadata& service, const Operation& operation,
                                        const json::value& params, bool ec2, const SerializeOptions& options) {
  FormWriter writer{ec2, options, {}};
  if (operation.input != nullptr) {
    const json::value empty = json::object();
    MemberRef root;
    root.shape = operation.input;
    if (Status s = writer.write(params.is_null() ? empty : params, root, ""); !s) return s.error();
  } else if (params.is_object() && !params.get_object().empty()) {
    return make_error(ErrorKind::kInvalid, "operation " + operation.name + " takes no parameters");
  }
  std::string body = "Action=";
  append_uri_encoded(body, operation.name);
  body += "&Version=";
  append_uri_encoded(body, service.api_version);
  for (const auto& [name, value] : writer.fields) {
    body.push_back('&');
    append_uri_encoded(body, name);
    body.push_back('=');
    append_uri_encoded(body, value);
  }
  return body;
}

}  // namespace ghscale::aws::protocol
