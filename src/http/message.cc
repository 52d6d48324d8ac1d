#include "http/message.h"

#include "core/log.h"

namespace ghscale::http {

namespace {

// ASCII A-Z folded, as std::tolower does in the C locale the daemon runs in, without a
// locale lookup per character: header names are compared several times per request.
constexpr unsigned char fold(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u + ('a' - 'A')) : u;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

const std::string* Headers::find(std::string_view name) const {
  for (const auto& [k, v] : items) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

std::string_view Headers::get(std::string_view name, std::string_view fallback) const {
  const std::string* v = find(name);
  return v != nullptr ? std::string_view(*v) : fallback;
}

void Headers::set(std::string name, std::string value) {
  for (auto& [k, v] : items) {
    if (iequals(k, name)) {
      v = std::move(value);
      return;
    }
  }
  items.emplace_back(std::move(name), std::move(value));
}

void Headers::add(std::string name, std::string value) { items.emplace_back(std::move(name), std::move(value)); }

std::string_view Request::path() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? t : t.substr(0, q);
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::error(int status, std::string_view reason) {
  std::string body = "{\"error\":";
  log::append_json_string(body, log::redact(reason));
  body += '}';
  return json(status, std::move(body));
}

}  // namespace ghscale::http
