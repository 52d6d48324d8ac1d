// XML responses of the query and ec2 protocols, read with pugixml into the value tree.
// Namespaces are ignored (AWS never reuses a local name with two meanings).
#include <pugixml.hpp>

#include <boost/json.hpp>
#include <cstring>

#include "aws/protocol/codecs.h"
#include "aws/protocol/scalars.h"

namespace ghscale::aws::protocol {
namespace json = boost::json;
namespace {

std::string_view local_name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child_named(const pugi::xml_node& parent, std::string_view name) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  }
  return {};
}

std::string text_of(const pugi::xml_node& node) {
  std::string out;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return out;
}

std::string_view or_default(const std::string& name, std::string_view fallback) {
  return name.empty() ? fallback : std::string_view(name);
}

Result<json::value> parse_node(const pugi::xml_node& node, const MemberRef& ref);

Result<json::value> parse_map_entry_into(json::object& out, const pugi::xml_node& entry, const Shape& map) {
  const pugi::xml_node key = child_named(entry, or_default(map.key.location_name, "key"));
  const pugi::xml_node value = child_named(entry, or_default(map.value.location_name, "value"));
  if (!key) return make_error(ErrorKind::kInvalid, "map entry without a key in " + map.name);
  json::value parsed = json::value(nullptr);
  if (value) {
    auto v = parse_node(value, map.value);
    if (!v.ok()) return v;
    parsed = std::move(*v);
  }
  out[text_of(key)] = std::move(parsed);
  return json::value(nullptr);
}

Result<json::value> parse_structure(const pugi::xml_node& node, const Shape& shape) {
  json::object out;
  for (const auto& [name, member] : shape.members) {
    const std::string_view xml_name = or_default(member.location_name, name);
    const bool flattened = member.flattened || member.shape->flattened;
    if (flattened && member.shape->type == ShapeType::kList) {
      json::array items;
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element || local_name(c) != xml_name) continue;
        auto v = parse_node(c, member.shape->member);
        if (!v.ok()) return v;
        items.push_back(std::move(*v));
      }
      if (!items.empty()) out[name] = std::move(items);
      continue;
    }
    if (flattened && member.shape->type == ShapeType::kMap) {
      json::object map;
      bool any = false;
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element || local_name(c) != xml_name) continue;
        any = true;
        if (auto r = parse_map_entry_into(map, c, *member.shape); !r.ok()) return r;
      }
      if (any) out[name] = std::move(map);
      continue;
    }
    const pugi::xml_node child = child_named(node, xml_name);
    if (!child) continue;
    auto v = parse_node(child, member);
    if (!v.ok()) return v;
    out[name] = std::move(*v);
  }
  return json::value(std::move(out));
}

Result<json::value> parse_node(const pugi::xml_node& node, const MemberRef& ref) {
  const Shape& shape = *ref.shape;
  switch (shape.type) {
    case ShapeType::kStructure:
      return parse_structure(node, shape);
    case ShapeType::kList: {
      json::array items;
      const std::string_view item_name = or_default(shape.member.location_name, "member");
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element || local_name(c) != item_name) continue;
        auto v = parse_node(c, shape.member);
        if (!v.ok()) return v;
        items.push_back(std::move(*v));
      }
      return json::value(std::move(items));
    }
    case ShapeType::kMap: {
      json::object map;
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element || local_name(c) != "entry") continue;
        if (auto r = parse_map_entry_into(map, c, shape); !r.ok()) return r;
      }
      return json::value(std::move(map));
    }
    default:
      return scalar_from_text(text_of(node), ref);
  }
}

}  // namespace

Result<json::value> parse_xml_output(const Operation& operation, std::string_view body, bool ec2) {
  if (operation.output == nullptr) return json::value(json::object());
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::value(json::object());
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    // Asking again gets the same body: a success answer we cannot read is not transient.
    return make_error(ErrorKind::kPermanent, std::string("unreadable XML response: ") + parsed.description());
  }
  pugi::xml_node start = doc.document_element();
  if (!ec2 && !operation.result_wrapper.empty()) {
    start = child_named(start, operation.result_wrapper);
    if (!start) return json::value(json::object());
  }
  MemberRef root;
  root.shape = operation.output;
  auto out = parse_node(start, root);
  if (!out.ok()) return make_error(ErrorKind::kPermanent, "unexpected XML response: " + out.error().message);
  return out;
}

ApiError parse_xml_error(const HttpResponse& response, const ShapeModel& shapes) {
  ApiError err;
  err.http_status = response.status;
  err.fields = json::object();
  pugi::xml_document doc;
  if (!doc.load_buffer(response.body.data(), response.body.size())) {
    err.code = "HttpStatus" + std::to_string(response.status);
    err.message = "unreadable error response";
    return err;
  }
  // query: <ErrorResponse><Error>...</Error><RequestId/>; ec2: <Response><Errors><Error>...
  // </Error></Errors><RequestID/>. Some services answer with a bare <Error>.
  const pugi::xml_node root = doc.document_element();
  pugi::xml_node error = local_name(root) == "Error" ? root : child_named(root, "Error");
  if (!error) error = child_named(child_named(root, "Errors"), "Error");
  err.code = text_of(child_named(error, "Code"));
  err.message = text_of(child_named(error, "Message"));
  pugi::xml_node request_id = child_named(root, "RequestId");
  if (!request_id) request_id = child_named(root, "RequestID");
  err.request_id = text_of(request_id);
  if (err.code.empty()) err.code = "HttpStatus" + std::to_string(response.status);
  if (const Shape* shape = shapes.find_error(err.code); shape != nullptr && error) {
    MemberRef ref;
    ref.shape = shape;
    if (auto fields = parse_node(error, ref); fields.ok()) err.fields = std::move(*fields);
  }
  return err;
}

}  // namespace ghscale::aws::protocol
