// Transport-agnostic HTTP request and response. Handlers are ordinary functions of a
// Request, so the same code serves the daemon's socket server and the Lambda host.
// No Beast or curl types here.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ghscale::http {

// Header names compare case-insensitively; the first match wins.
struct Headers {
  std::vector<std::pair<std::string, std::string>> items;

  const std::string* find(std::string_view name) const;
  std::string_view get(std::string_view name, std::string_view fallback = {}) const;
  void set(std::string name, std::string value);  // replaces an existing value
  void add(std::string name, std::string value);
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as received: "/webhook?x=1"
  Headers headers;
  std::string body;
  std::string remote_address;

  // The target without its query string.
  std::string_view path() const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // A small JSON body {"error": reason} (or {"status": ...} for 2xx) with its type set.
  static Response json(int status, std::string body);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response error(int status, std::string_view reason);
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace ghscale::http
