#include "core/http_url.h"

#include <algorithm>

namespace ghscale {

std::optional<std::string> http_url_problem(std::string_view url) {
  std::string_view rest;
  if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
  } else if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else {
    return "is not an http:// or https:// URL";
  }
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return "has a space or a control character";
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return "carries credentials (user:pass@): give them as a secret, never in a URL";
  }
  // The port follows the last colon outside an IPv6 literal's brackets.
  std::string_view host = authority;
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    const std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return "has a port that is not a number from 1 to 65535";
    }
  }
  if (host.empty() || host == "[]") return "has no host";
  if (host.front() == '[' && host.back() != ']') return "has an unclosed [ in its host";
  return std::nullopt;
}

}  // namespace ghscale
