#include "aws/request.h"

#include <algorithm>

#include "aws/encoding.h"

namespace ghscale::aws {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

const std::string* Request::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return &h.value;
  }
  return nullptr;
}

void Request::remove_header(std::string_view name) {
  std::erase_if(headers, [&](const HttpHeader& h) { return iequals(h.name, name); });
}

void Request::set_header(std::string_view name, std::string value) {
  remove_header(name);
  headers.push_back(HttpHeader{std::string(name), std::move(value)});
}

std::string Request::target() const {
  std::string out = uri_encode(path.empty() ? std::string_view("/") : std::string_view(path), /*keep_slash=*/true);
  char sep = '?';
  for (const auto& p : query) {
    out.push_back(sep);
    sep = '&';
    append_uri_encoded(out, p.name);
    out.push_back('=');
    append_uri_encoded(out, p.value);
  }
  return out;
}

}  // namespace ghscale::aws
