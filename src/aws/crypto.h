// SHA-256, HMAC-SHA256 and hex, the primitives of SigV4, over OpenSSL 3's EVP APIs.
// OpenSSL failing here means memory exhaustion or a broken library: that aborts.
// Thread-safe.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>

namespace ghscale::aws {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest sha256(std::string_view data);
Sha256Digest hmac_sha256(std::span<const unsigned char> key, std::string_view data);
inline Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  return hmac_sha256(std::span(reinterpret_cast<const unsigned char*>(key.data()), key.size()), data);
}

// Lowercase hexadecimal, as SigV4 wants it.
std::string hex(std::span<const unsigned char> bytes);
void append_hex(std::string& out, std::span<const unsigned char> bytes);
inline std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

}  // namespace ghscale::aws
