// Text encodings AWS asks for: RFC 3986 percent-encoding (SigV4's UriEncode, also used
// for form bodies) and base64 (blobs). Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ghscale::aws {

// Percent-encodes every byte except the unreserved A-Z a-z 0-9 - . _ ~ (uppercase hex).
// With keep_slash, '/' passes through too (for paths).
void append_uri_encoded(std::string& out, std::string_view text, bool keep_slash = false);
std::string uri_encode(std::string_view text, bool keep_slash = false);

// Decodes %XX escapes; '+' stays '+' (AWS never sends form-style spaces in URLs).
// A malformed escape is kept literally rather than rejected: the signer must sign what
// the caller will send.
std::string percent_decode(std::string_view text);

std::string base64_encode(std::string_view bytes);
// Accepts padded or unpadded standard base64; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ghscale::aws
