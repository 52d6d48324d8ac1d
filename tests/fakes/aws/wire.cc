#include "fakes/aws/wire.h"

#include <boost/json.hpp>
#include <cmath>
#include <set>

#include "aws/encoding.h"
#include "aws/timestamp.h"
#include "core/markup.h"

namespace ghscale::fakes::aws_wire {

namespace json = boost::json;
using ghscale::aws::protocol::MemberRef;
using ghscale::aws::protocol::ShapeType;

namespace {

std::string capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 32);
  return s;
}

std::string input_name(const MemberRef& ref, const std::string& member, bool ec2) {
  if (ec2) {
    if (!ref.query_name.empty()) return ref.query_name;
    if (!ref.location_name.empty()) return capitalize(ref.location_name);
    return member;
  }
  return ref.location_name.empty() ? member : ref.location_name;
}

class FormReader {
 public:
  FormReader(const std::vector<std::pair<std::string, std::string>>& params, bool ec2) : ec2_(ec2) {
    for (const auto& [k, v] : params) values_.emplace(k, v);
  }

  bool has_prefix(const std::string& prefix) const {
    auto it = values_.lower_bound(prefix);
    return it != values_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
  }

  Result<json::value> read(const Shape& shape, const std::string& key) {
    switch (shape.type) {
      case ShapeType::kStructure: {
        json::object o;
        for (const auto& [name, ref] : shape.members) {
          const std::string k = key.empty() ? input_name(ref, name, ec2_) : key + "." + input_name(ref, name, ec2_);
          if (!values_.count(k) && !has_prefix(k + ".")) continue;
          auto v = read(*ref.shape, k);
          if (!v.ok()) return v;
          o[name] = std::move(*v);
        }
        return json::value(std::move(o));
      }
      case ShapeType::kList: {
        json::array a;
        if (auto it = values_.find(key); it != values_.end() && it->second.empty()) {
          consumed_.insert(key);  // an empty list
          return json::value(std::move(a));
        }
        const bool flat = ec2_ || shape.flattened || shape.member.flattened;
        const std::string base =
            flat ? key + "."
                 : key + "." + (shape.member.location_name.empty() ? "member" : shape.member.location_name) + ".";
        for (int i = 1;; ++i) {
          const std::string k = base + std::to_string(i);
          if (!values_.count(k) && !has_prefix(k + ".")) break;
          auto v = read(*shape.member.shape, k);
          if (!v.ok()) return v;
          a.push_back(std::move(*v));
        }
        return json::value(std::move(a));
      }
      case ShapeType::kMap: {
        json::object o;
        const std::string base = shape.flattened ? key + "." : key + ".entry.";
        const std::string kn = shape.key.location_name.empty() ? "key" : shape.key.location_name;
        const std::string vn = shape.value.location_name.empty() ? "value" : shape.value.location_name;
        for (int i = 1;; ++i) {
          const std::string k = base + std::to_string(i) + ".";
          if (!has_prefix(k)) break;
          auto it = values_.find(k + kn);
          if (it == values_.end()) return make_error(ErrorKind::kInvalid, "map entry without key: " + k);
          consumed_.insert(it->first);
          auto v = read(*shape.value.shape, k + vn);
          if (!v.ok()) return v;
          o[it->second] = std::move(*v);
        }
        return json::value(std::move(o));
      }
      default:
        break;
    }
    auto it = values_.find(key);
    if (it == values_.end()) return make_error(ErrorKind::kInvalid, "expected a value for " + key);
    consumed_.insert(key);
    const std::string& text = it->second;
    switch (shape.type) {
      case ShapeType::kInteger:
      case ShapeType::kLong:
        try {
          return json::value(std::stoll(text));
        } catch (const std::exception&) {
          return make_error(ErrorKind::kInvalid, key + " is not an integer");
        }
      case ShapeType::kFloat:
      case ShapeType::kDouble:
        try {
          return json::value(std::stod(text));
        } catch (const std::exception&) {
          return make_error(ErrorKind::kInvalid, key + " is not a number");
        }
      case ShapeType::kBoolean:
        if (text == "true") return json::value(true);
        if (text == "false") return json::value(false);
        return make_error(ErrorKind::kInvalid, key + " is not a boolean");
      case ShapeType::kTimestamp: {
        auto t = ghscale::aws::parse_any_timestamp(text);
        if (!t.ok()) return make_error(ErrorKind::kInvalid, key + " is not a timestamp");
        return json::value(static_cast<double>(to_unix_ms(*t)) / 1000.0);
      }
      case ShapeType::kBlob: {
        auto b = ghscale::aws::base64_decode(text);
        if (!b) return make_error(ErrorKind::kInvalid, key + " is not base64");
        return json::value(*b);
      }
      default:
        return json::value(text);
    }
  }

  std::vector<std::string> unconsumed() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : values_) {
      if (!consumed_.count(k)) out.push_back(k);
    }
    return out;
  }

 private:
  const bool ec2_;
  std::map<std::string, std::string> values_;
  std::set<std::string> consumed_;
};

Status check_json(const Shape& shape, const json::value& v, const std::string& path) {
  auto bad = [&](std::string what) { return Status(make_error(ErrorKind::kInvalid, path + ": " + what)); };
  if (shape.document) return ok_status();
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!v.is_object()) return bad("expected an object");
      for (const auto& [k, mv] : v.as_object()) {
        const MemberRef* ref = shape.find_member(k);
        if (ref == nullptr) return bad("unknown member " + std::string(k));
        if (Status s = check_json(*ref->shape, mv, path + "." + std::string(k)); !s.ok()) return s;
      }
      return ok_status();
    }
    case ShapeType::kList: {
      if (!v.is_array()) return bad("expected an array");
      int i = 0;
      for (const auto& item : v.as_array()) {
        if (Status s = check_json(*shape.member.shape, item, path + "[" + std::to_string(i++) + "]"); !s.ok()) return s;
      }
      return ok_status();
    }
    case ShapeType::kMap: {
      if (!v.is_object()) return bad("expected an object");
      for (const auto& [k, mv] : v.as_object()) {
        if (Status s = check_json(*shape.value.shape, mv, path + "." + std::string(k)); !s.ok()) return s;
      }
      return ok_status();
    }
    case ShapeType::kString:
    case ShapeType::kBlob:
      return v.is_string() ? ok_status() : bad("expected a string");
    case ShapeType::kBoolean:
      return v.is_bool() ? ok_status() : bad("expected a boolean");
    case ShapeType::kTimestamp:
      return v.is_number() || v.is_string() ? ok_status() : bad("expected a timestamp");
    default:
      return v.is_number() ? ok_status() : bad("expected a number");
  }
}

void append_escaped(std::string& out, std::string_view s) { append_markup_escaped(out, s); }

std::string scalar_text(const Shape& shape, const json::value& v) {
  switch (shape.type) {
    case ShapeType::kBoolean:
      return v.is_bool() && v.as_bool() ? "true" : "false";
    case ShapeType::kTimestamp:
      if (v.is_number()) {
        return ghscale::aws::format_iso8601(
            from_unix_ms(static_cast<std::int64_t>(std::llround(v.to_number<double>() * 1000.0))));
      }
      return v.is_string() ? std::string(v.as_string()) : std::string();
    case ShapeType::kBlob:
      return ghscale::aws::base64_encode(v.is_string() ? std::string_view(v.as_string()) : std::string_view());
    default:
      if (v.is_string()) return std::string(v.as_string());
      if (v.is_int64()) return std::to_string(v.as_int64());
      if (v.is_uint64()) return std::to_string(v.as_uint64());
      if (v.is_double()) return json::serialize(v);
      if (v.is_bool()) return v.as_bool() ? "true" : "false";
      return {};
  }
}

void write_value(std::string& out, const Shape& shape, const json::value& v, const std::string& name, bool ec2,
                 bool flattened);

void write_members(std::string& out, const Shape& shape, const json::value& v, bool ec2) {
  if (!v.is_object()) return;
  for (const auto& [member, ref] : shape.members) {
    const json::value* mv = v.as_object().if_contains(member);
    if (mv == nullptr || mv->is_null()) continue;
    write_value(out, *ref.shape, *mv, ref.location_name.empty() ? member : ref.location_name, ec2,
                ref.flattened || ref.shape->flattened);
  }
}

void write_value(std::string& out, const Shape& shape, const json::value& v, const std::string& name, bool ec2,
                 bool flattened) {
  if (shape.type == ShapeType::kList) {
    if (!v.is_array()) return;
    const std::string item =
        flattened ? name
                  : (shape.member.location_name.empty() ? (ec2 ? "item" : "member") : shape.member.location_name);
    if (!flattened) out += "<" + name + ">";
    for (const auto& e : v.as_array()) write_value(out, *shape.member.shape, e, item, ec2, false);
    if (!flattened) out += "</" + name + ">";
    return;
  }
  if (shape.type == ShapeType::kMap) {
    if (!v.is_object()) return;
    const std::string kn = shape.key.location_name.empty() ? "key" : shape.key.location_name;
    const std::string vn = shape.value.location_name.empty() ? "value" : shape.value.location_name;
    if (!flattened) out += "<" + name + ">";
    for (const auto& [k, e] : v.as_object()) {
      out += flattened ? "<" + name + ">" : std::string("<entry>");
      out += "<" + kn + ">";
      append_escaped(out, k);
      out += "</" + kn + ">";
      write_value(out, *shape.value.shape, e, vn, ec2, false);
      out += flattened ? "</" + name + ">" : std::string("</entry>");
    }
    if (!flattened) out += "</" + name + ">";
    return;
  }
  out += "<" + name + ">";
  if (shape.type == ShapeType::kStructure)
    write_members(out, shape, v, ec2);
  else
    append_escaped(out, scalar_text(shape, v));
  out += "</" + name + ">";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  auto decode = [](std::string_view s) {
    std::string plus(s);
    for (char& c : plus) {
      if (c == '+') c = ' ';
    }
    return ghscale::aws::percent_decode(plus);
  };
  while (!body.empty()) {
    const auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    out.emplace_back(decode(pair.substr(0, eq)),
                     eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1)));
  }
  return out;
}

Result<json::value> form_to_value(const ServiceModel& model, const Operation& op,
                                  const std::vector<std::pair<std::string, std::string>>& params) {
  const bool ec2 = model.metadata().protocol == "ec2";
  FormReader reader(params, ec2);
  json::value value = json::object();
  if (op.input != nullptr) {
    auto v = reader.read(*op.input, "");
    if (!v.ok()) return v;
    value = std::move(*v);
  }
  for (const auto& key : reader.unconsumed()) {
    return make_error(ErrorKind::kInvalid, "Unknown parameter " + key + " for " + op.name);
  }
  return value;
}

Status check_json_input(const Operation& op, const json::value& input) {
  if (op.input == nullptr) {
    if (input.is_object() && !input.as_object().empty())
      return make_error(ErrorKind::kInvalid, op.name + " takes no input");
    return ok_status();
  }
  return check_json(*op.input, input, op.name);
}

std::string query_response_xml(const ServiceModel& model, const Operation& op, const json::value& output,
                               std::string_view request_id) {
  const bool ec2 = model.metadata().protocol == "ec2";
  const std::string ns =
      "http://" + model.metadata().endpoint_prefix + ".amazonaws.com/doc/" + model.metadata().api_version + "/";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + op.name + "Response xmlns=\"" + ns + "\">";
  if (ec2) {
    out += "<requestId>" + std::string(request_id) + "</requestId>";
    if (op.output != nullptr) write_members(out, *op.output, output, true);
  } else {
    const std::string wrapper = op.result_wrapper.empty() ? op.name + "Result" : op.result_wrapper;
    out += "<" + wrapper + ">";
    if (op.output != nullptr) write_members(out, *op.output, output, false);
    out += "</" + wrapper + ">";
    out += "<ResponseMetadata><RequestId>" + std::string(request_id) + "</RequestId></ResponseMetadata>";
  }
  out += "</" + op.name + "Response>";
  return out;
}

std::string query_error_xml(std::string_view code, std::string_view message, std::string_view request_id, bool ec2) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string msg;
  append_escaped(msg, message);
  if (ec2) {
    out += "<Response><Errors><Error><Code>" + std::string(code) + "</Code><Message>" + msg +
           "</Message></Error></Errors><RequestID>" + std::string(request_id) + "</RequestID></Response>";
  } else {
    out += "<ErrorResponse><Error><Type>Sender</Type><Code>" + std::string(code) + "</Code><Message>" + msg +
           "</Message></Error><RequestId>" + std::string(request_id) + "</RequestId></ErrorResponse>";
  }
  return out;
}

}  // namespace ghscale::fakes::aws_wire
