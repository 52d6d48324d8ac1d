#include "webhook/form.h"

namespace ghscale::webhook {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '*';
}

}  // namespace

Result<std::string> form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      const bool complete = i + 2 < text.size();
      const int hi = complete ? hex_value(text[i + 1]) : -1;
      const int lo = complete ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return make_error(ErrorKind::kInvalid, "form body: bad percent-escape at offset " + std::to_string(i));
      }
      out += static_cast<char>(hi << 4 | lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::string> form_payload(std::string_view body) {
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view field = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    const std::size_t eq = field.find('=');
    auto key = form_decode(field.substr(0, eq));
    if (!key) return std::move(key).error();
    if (*key != "payload") continue;
    if (eq == std::string_view::npos) break;
    return form_decode(field.substr(eq + 1));
  }
  return make_error(ErrorKind::kInvalid, "form body has no payload field");
}

std::string form_encode_payload(std::string_view json) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "payload=";
  out.reserve(out.size() + json.size() * 2);
  for (unsigned char c : json) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace ghscale::webhook
