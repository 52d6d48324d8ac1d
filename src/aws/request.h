// An AWS HTTP request as the signer and the protocol serializers see it, free of any
// transport: the HTTP client turns it into bytes on the wire (path and query encoded
// with target()). Plain value type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ghscale::aws {

struct HttpHeader {
  std::string name;
  std::string value;
};

// A query parameter, decoded: the signer and target() encode it.
struct QueryParam {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "POST";
  // The decoded path ("/" for every service we call). Encoded once, per RFC 3986, for the
  // wire and for the canonical request.
  std::string path = "/";
  std::vector<QueryParam> query;
  // In order; "host" must be among them to sign. Names compare case-insensitively.
  std::vector<HttpHeader> headers;
  std::string body;
  // Hex SHA-256 of the payload when the caller already has it, or "UNSIGNED-PAYLOAD";
  // empty means "hash body".
  std::string payload_hash;

  // The first header of that name, or nullptr.
  const std::string* header(std::string_view name) const;
  // Replaces every header of that name by one, appended at the end.
  void set_header(std::string_view name, std::string value);
  void remove_header(std::string_view name);
  // Encoded path and query string ("/?Action=...&Version=..."), for the request line.
  std::string target() const;
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace ghscale::aws
