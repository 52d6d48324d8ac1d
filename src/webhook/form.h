// application/x-www-form-urlencoded, as GitHub sends a hook whose content type is "form":
// the JSON payload is the value of a single "payload" field.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace ghscale::webhook {

// Percent-decoding with '+' as space. A '%' not followed by two hex digits is kInvalid.
Result<std::string> form_decode(std::string_view text);

// The decoded value of the first "payload" field; kInvalid when there is none.
Result<std::string> form_payload(std::string_view body);

// The inverse, for tests and the simulator: "payload=" + encoded JSON, as GitHub writes it.
std::string form_encode_payload(std::string_view json);

}  // namespace ghscale::webhook
