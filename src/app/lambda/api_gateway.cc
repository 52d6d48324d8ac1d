#include "app/lambda/api_gateway.h"

#include <boost/json.hpp>

#include <cctype>
#include <map>

#include "aws/encoding.h"

namespace ghscale::app::lambda {
namespace {

namespace json = boost::json;

std::string text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

const json::object* object_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

// Query strings rebuilt from format 1.0's decoded parameters.
std::string encode_query_part(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void add_v1_headers(const json::object& event, http::Headers& headers) {
  // multiValueHeaders holds every value; headers only the last of each name.
  if (const json::object* multi = object_of(event, "multiValueHeaders"); multi != nullptr && !multi->empty()) {
    for (const auto& [name, values] : *multi) {
      if (!values.is_array()) continue;
      for (const json::value& v : values.as_array()) {
        if (v.is_string()) headers.add(std::string(name), std::string(v.as_string()));
      }
    }
    return;
  }
  if (const json::object* single = object_of(event, "headers")) {
    for (const auto& [name, value] : *single) {
      if (value.is_string()) headers.add(std::string(name), std::string(value.as_string()));
    }
  }
}

std::string v1_query(const json::object& event) {
  std::string q;
  auto append = [&q](std::string_view k, std::string_view v) {
    q += (q.empty() ? "" : "&") + encode_query_part(k) + "=" + encode_query_part(v);
  };
  if (const json::object* multi = object_of(event, "multiValueQueryStringParameters"); multi != nullptr) {
    for (const auto& [k, values] : *multi) {
      if (!values.is_array()) continue;
      for (const json::value& v : values.as_array()) {
        if (v.is_string()) append(k, v.as_string());
      }
    }
  } else if (const json::object* single = object_of(event, "queryStringParameters"); single != nullptr) {
    for (const auto& [k, v] : *single) {
      if (v.is_string()) append(k, v.as_string());
    }
  }
  return q;
}

}  // namespace

Result<ProxyEvent> parse_proxy_event(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::kInvalid, "the event is not a JSON object");
  const json::object& event = v.as_object();
  ProxyEvent out;
  http::Request& req = out.request;
  std::string query;
  if (text_of(event, "version") == "2.0") {
    out.version = PayloadVersion::kV2;
    const json::object* ctx = object_of(event, "requestContext");
    const json::object* http_ctx = ctx != nullptr ? object_of(*ctx, "http") : nullptr;
    if (http_ctx == nullptr || text_of(*http_ctx, "method").empty()) {
      return make_error(ErrorKind::kInvalid, "not an API Gateway proxy event: requestContext.http.method missing");
    }
    req.method = text_of(*http_ctx, "method");
    req.remote_address = text_of(*http_ctx, "sourceIp");
    req.target = text_of(event, "rawPath");
    if (req.target.empty()) req.target = text_of(*http_ctx, "path");
    query = text_of(event, "rawQueryString");
    // Format 2.0 joins repeated headers with commas under lower-case names.
    if (const json::object* headers = object_of(event, "headers")) {
      for (const auto& [name, value] : *headers) {
        if (value.is_string()) req.headers.add(std::string(name), std::string(value.as_string()));
      }
    }
    if (const json::value* cookies = event.if_contains("cookies"); cookies != nullptr && cookies->is_array()) {
      std::string joined;
      for (const json::value& c : cookies->as_array()) {
        if (c.is_string()) joined += (joined.empty() ? "" : "; ") + std::string(c.as_string());
      }
      if (!joined.empty()) req.headers.set("cookie", joined);
    }
  } else {
    out.version = PayloadVersion::kV1;
    req.method = text_of(event, "httpMethod");
    if (req.method.empty()) return make_error(ErrorKind::kInvalid, "not an API Gateway proxy event: no httpMethod");
    req.target = text_of(event, "path");
    if (const json::object* ctx = object_of(event, "requestContext")) {
      if (const json::object* identity = object_of(*ctx, "identity")) req.remote_address = text_of(*identity, "sourceIp");
    }
    add_v1_headers(event, req.headers);
    query = v1_query(event);
  }
  if (req.target.empty()) req.target = "/";
  if (!query.empty()) req.target += "?" + query;

  req.body = text_of(event, "body");
  const json::value* b64 = event.if_contains("isBase64Encoded");
  if (b64 != nullptr && b64->is_bool() && b64->as_bool()) {
    auto decoded = aws::base64_decode(req.body);
    if (!decoded) return make_error(ErrorKind::kInvalid, "the event's body is marked base64 but does not decode");
    req.body = std::move(*decoded);
  }
  return out;
}

std::string render_proxy_response(const http::Response& response, PayloadVersion version) {
  json::object headers;
  std::map<std::string, json::array> multi;
  for (const auto& [name, value] : response.headers.items) {
    if (json::value* existing = headers.if_contains(name)) {
      *existing = std::string(existing->as_string()) + ", " + value;
    } else {
      headers[name] = value;
    }
    multi[name].push_back(json::string(value));
  }
  json::object out{{"statusCode", response.status},
                   {"headers", std::move(headers)},
                   {"body", response.body},
                   {"isBase64Encoded", false}};
  if (version == PayloadVersion::kV1) {
    json::object m;
    for (auto& [name, values] : multi) m[name] = std::move(values);
    out["multiValueHeaders"] = std::move(m);
  }
  return json::serialize(out);
}

}  // namespace ghscale::app::lambda
