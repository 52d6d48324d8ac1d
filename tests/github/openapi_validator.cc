#include "github/openapi_validator.h"

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

namespace ghscale::testing {
namespace json = boost::json;
namespace {

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool is_integer_text(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

struct OpenApiValidator::Impl {
  json::value doc;

  const json::value& resolve(const json::value& v) const {
    const json::value* cur = &v;
    for (int depth = 0; depth < 20 && cur->is_object() && cur->as_object().contains("$ref"); ++depth) {
      const std::string ref(cur->as_object().at("$ref").as_string());
      const json::value* target = &doc;
      for (const auto& part : segments(ref.substr(1))) target = &target->as_object().at(part);
      cur = target;
    }
    return *cur;
  }

  void validate(const json::value& value, const json::value& schema_ref, const std::string& where,
                std::vector<std::string>& errors) const {
    const json::value& sv = resolve(schema_ref);
    if (!sv.is_object()) return;
    const json::object& s = sv.as_object();
    if (value.is_null()) {
      if (s.contains("nullable") && s.at("nullable").as_bool()) return;
      if (!s.contains("type") && !s.contains("allOf") && !s.contains("anyOf") && !s.contains("oneOf")) return;
      // anyOf/oneOf with a nullable branch are handled below.
      if (!s.contains("anyOf") && !s.contains("oneOf")) {
        errors.push_back(where + ": null where not nullable");
        return;
      }
    }
    if (auto* all = s.if_contains("allOf")) {
      for (const auto& sub : all->as_array()) validate(value, sub, where, errors);
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (auto* alts = s.if_contains(key)) {
        int matches = 0;
        for (const auto& sub : alts->as_array()) {
          std::vector<std::string> e;
          validate(value, sub, where, e);
          if (e.empty()) ++matches;
        }
        if (matches == 0 || (std::string(key) == "oneOf" && matches > 1)) {
          errors.push_back(where + ": " + key + " matched " + std::to_string(matches) + " alternatives");
        }
      }
    }
    if (auto* type = s.if_contains("type")) {
      const std::string t(type->as_string());
      const bool ok = (t == "object" && value.is_object()) || (t == "array" && value.is_array()) ||
                      (t == "string" && value.is_string()) || (t == "boolean" && value.is_bool()) ||
                      (t == "integer" && (value.is_int64() || value.is_uint64())) ||
                      (t == "number" && value.is_number());
      if (!ok) {
        errors.push_back(where + ": expected " + t + ", got " + json::serialize(value).substr(0, 60));
        return;
      }
    }
    if (auto* e = s.if_contains("enum"); e != nullptr && !value.is_null()) {
      bool found = false;
      for (const auto& option : e->as_array()) found = found || option == value;
      if (!found) errors.push_back(where + ": " + json::serialize(value) + " is not in the enum");
    }
    if (value.is_object()) {
      const auto& o = value.as_object();
      if (auto* req = s.if_contains("required")) {
        for (const auto& name : req->as_array()) {
          if (!o.contains(name.as_string())) errors.push_back(where + ": missing required '" + std::string(name.as_string()) + "'");
        }
      }
      const json::object* props = s.contains("properties") ? &s.at("properties").as_object() : nullptr;
      for (const auto& [k, v] : o) {
        if (props != nullptr && props->contains(k)) {
          validate(v, props->at(k), where + "." + std::string(k), errors);
        } else if (auto* extra = s.if_contains("additionalProperties")) {
          if (extra->is_bool() && !extra->as_bool()) errors.push_back(where + ": unexpected property '" + std::string(k) + "'");
          if (extra->is_object()) validate(v, *extra, where + "." + std::string(k), errors);
        }
      }
    }
    if (value.is_array()) {
      const auto& a = value.as_array();
      if (auto* min = s.if_contains("minItems"); min != nullptr && static_cast<std::int64_t>(a.size()) < min->to_number<std::int64_t>()) {
        errors.push_back(where + ": fewer than minItems");
      }
      if (auto* max = s.if_contains("maxItems"); max != nullptr && static_cast<std::int64_t>(a.size()) > max->to_number<std::int64_t>()) {
        errors.push_back(where + ": more than maxItems");
      }
      if (auto* items = s.if_contains("items")) {
        for (std::size_t i = 0; i < a.size(); ++i) validate(a[i], *items, where + "[" + std::to_string(i) + "]", errors);
      }
    }
  }

  void check_body(std::string_view body, const json::value& content, const std::string& where,
                  std::vector<std::string>& errors) const {
    const auto& c = resolve(content).as_object();
    auto* media = c.if_contains("application/json");
    if (media == nullptr || !media->as_object().contains("schema")) return;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) {
      errors.push_back(where + ": body is not JSON");
      return;
    }
    validate(v, media->as_object().at("schema"), where, errors);
  }
};

OpenApiValidator::OpenApiValidator(const std::string& description_path) : impl_(std::make_unique<Impl>()) {
  std::ifstream in(description_path);
  std::stringstream ss;
  ss << in.rdbuf();
  impl_->doc = json::parse(ss.str());
}

OpenApiValidator::~OpenApiValidator() = default;

std::vector<std::string> OpenApiValidator::check_schema(std::string_view body, const std::string& component,
                                                        bool array_of) const {
  std::vector<std::string> errors;
  if (!impl_->doc.as_object().at("components").as_object().at("schemas").as_object().contains(component)) {
    return {"no component schema '" + component + "' in the description"};
  }
  json::value ref = json::object{{"$ref", "#/components/schemas/" + component}};
  json::value schema = array_of ? json::value(json::object{{"type", "array"}, {"items", ref}}) : ref;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return {component + ": body is not JSON"};
  impl_->validate(v, schema, component, errors);
  return errors;
}

std::vector<std::string> OpenApiValidator::check(const std::string& api_url, const http::ClientRequest& request,
                                                 const http::ClientResponse& response, std::string* operation_id) const {
  std::vector<std::string> errors;
  std::string target = request.url.rfind(api_url, 0) == 0 ? request.url.substr(api_url.size()) : request.url;
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  const auto want = segments(path);
  std::string method;
  for (char c : request.method) method += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  const json::object* path_item = nullptr;
  std::string template_path;
  for (const auto& [tmpl, item] : impl_->doc.as_object().at("paths").as_object()) {
    const auto have = segments(tmpl);
    if (have.size() != want.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < have.size() && match; ++i) match = have[i].front() == '{' || have[i] == want[i];
    if (match && item.as_object().contains(method)) {
      path_item = &item.as_object();
      template_path = std::string(tmpl);
      break;
    }
  }
  const std::string where = request.method + " " + path;
  if (path_item == nullptr) return {where + ": no such operation in the description"};
  const auto& op = path_item->at(method).as_object();
  if (operation_id != nullptr) *operation_id = std::string(op.at("operationId").as_string());

  // Query parameters: declared, and of the declared type.
  std::map<std::string, const json::object*> declared;
  for (const json::object* holder : {path_item, &op}) {
    if (auto* params = holder->if_contains("parameters")) {
      for (const auto& p : params->as_array()) {
        const auto& po = impl_->resolve(p).as_object();
        if (po.at("in").as_string() == "query") declared[std::string(po.at("name").as_string())] = &po;
      }
    }
  }
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    const std::string name(pair.substr(0, eq));
    const std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    auto it = declared.find(name);
    if (it == declared.end()) {
      errors.push_back(where + ": undeclared query parameter '" + name + "'");
    } else if (auto* schema = it->second->if_contains("schema")) {
      const auto& so = impl_->resolve(*schema).as_object();
      if (so.contains("type") && so.at("type").as_string() == "integer" && !is_integer_text(value)) {
        errors.push_back(where + ": query '" + name + "' is not an integer");
      }
      if (auto* e = so.if_contains("enum")) {
        bool found = false;
        for (const auto& option : e->as_array()) found = found || (option.is_string() && option.as_string() == value);
        if (!found) errors.push_back(where + ": query '" + name + "=" + value + "' is not in the enum");
      }
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }

  // Request body.
  if (auto* body = op.if_contains("requestBody")) {
    const auto& b = impl_->resolve(*body).as_object();
    const bool required = b.contains("required") && b.at("required").as_bool();
    if (request.body.empty()) {
      if (required) errors.push_back(where + ": request body required");
    } else {
      impl_->check_body(request.body, b.at("content"), where + " request", errors);
    }
  } else if (!request.body.empty()) {
    errors.push_back(where + ": a body where none is described");
  }

  // Response: a documented status and a conforming body. GitHub answers some statuses on
  // every endpoint (401, 404, 403/429 rate limits, 5xx, and 304 to a conditional GET);
  // when the operation omits them they are held against basic-error (304: empty body).
  const auto& responses = op.at("responses").as_object();
  const std::string status = std::to_string(response.status);
  const std::string rwhere = where + " -> " + status;
  if (auto* documented = responses.if_contains(status)) {
    const auto& r = impl_->resolve(*documented).as_object();
    if (auto* content = r.if_contains("content")) impl_->check_body(response.body, *content, rwhere, errors);
  } else if (response.status == 304) {
    if (request.headers.find("If-None-Match") == nullptr) errors.push_back(rwhere + ": 304 to an unconditional request");
    if (!response.body.empty()) errors.push_back(rwhere + ": 304 with a body");
  } else if (response.status == 401 || response.status == 403 || response.status == 404 || response.status == 429 || response.status >= 500) {
    json::value basic = json::object{{"$ref", "#/components/schemas/basic-error"}};
    boost::system::error_code ec;
    json::value v = json::parse(response.body, ec);
    if (ec) errors.push_back(rwhere + ": error body is not JSON");
    else impl_->validate(v, basic, rwhere, errors);
  } else {
    errors.push_back(rwhere + ": status not documented for " + template_path);
  }
  return errors;
}

Result<http::ClientResponse> ValidatingClient::send(const http::ClientRequest& request) {
  auto response = inner_->send(request);
  if (!response) return response;
  std::string op;
  auto errors = validator_->check(api_url_, request, *response, &op);
  std::lock_guard lock(mu_);
  if (!op.empty()) operations_.insert(op);
  for (auto& e : errors) violations_.push_back(std::move(e));
  return response;
}

std::vector<std::string> ValidatingClient::violations() const {
  std::lock_guard lock(mu_);
  return violations_;
}

std::set<std::string> ValidatingClient::operations() const {
  std::lock_guard lock(mu_);
  return operations_;
}

}  // namespace ghscale::testing
