#include "webhook/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace ghscale::webhook {
namespace {

constexpr std::size_t kDigestBytes = 32;
using Digest = std::array<unsigned char, kDigestBytes>;

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// Fetching the algorithm walks OpenSSL's provider store under a lock; do it once.
EVP_MAC* hmac_algorithm() {
  static const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) {
    std::fputs("ghscale: OpenSSL has no HMAC implementation\n", stderr);
    std::abort();  // a broken crypto library is not an expected failure
  }
  return mac.get();
}

// A context keyed with the secret. Keying costs two SHA-256 blocks plus a parameter
// lookup, so the verifier keeps one keyed template per secret and copies it per call.
MacCtxPtr keyed_context(std::string_view secret) {
  MacCtxPtr ctx(EVP_MAC_CTX_new(hmac_algorithm()));
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  // EVP_MAC_init rejects a null key pointer even with length 0.
  static const unsigned char kEmpty = 0;
  const auto* key = secret.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(secret.data());
  if (!ctx || EVP_MAC_init(ctx.get(), key, secret.size(), params) != 1) {
    std::fputs("ghscale: HMAC-SHA256 initialisation failed\n", stderr);
    std::abort();
  }
  return ctx;
}

bool finish(EVP_MAC_CTX* ctx, std::string_view body, Digest& out) {
  std::size_t len = 0;
  return EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1 &&
         EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == kDigestBytes;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "sha256=<64 hex>"; false on any other shape.
bool parse_header(std::string_view header, Digest& out) {
  if (header.size() != kSignaturePrefix.size() + 2 * kDigestBytes) return false;
  if (header.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) return false;
  std::string_view hex = header.substr(kSignaturePrefix.size());
  for (std::size_t i = 0; i < kDigestBytes; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

}  // namespace

struct SignatureVerifier::Keys {
  std::vector<MacCtxPtr> templates;
};

std::string sign(std::string_view secret, std::string_view body) {
  MacCtxPtr ctx = keyed_context(secret);
  Digest digest{};
  if (!finish(ctx.get(), body, digest)) {
    std::fputs("ghscale: HMAC-SHA256 failed\n", stderr);
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kSignaturePrefix);
  out.reserve(kSignaturePrefix.size() + 2 * kDigestBytes);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

SignatureVerifier::SignatureVerifier(const std::vector<std::string>& secrets) : keys_(std::make_unique<Keys>()) {
  for (const auto& s : secrets) {
    if (!s.empty()) keys_->templates.push_back(keyed_context(s));
  }
}

SignatureVerifier::~SignatureVerifier() = default;
SignatureVerifier::SignatureVerifier(SignatureVerifier&&) noexcept = default;
SignatureVerifier& SignatureVerifier::operator=(SignatureVerifier&&) noexcept = default;

std::size_t SignatureVerifier::secret_count() const { return keys_ ? keys_->templates.size() : 0; }

bool SignatureVerifier::verify(std::string_view header, std::string_view body) const {
  Digest expected{};
  if (!keys_ || !parse_header(header, expected)) return false;
  for (const auto& tmpl : keys_->templates) {
    // Duplicating a keyed context reads the template only, so concurrent verifies are safe.
    MacCtxPtr ctx(EVP_MAC_CTX_dup(tmpl.get()));
    Digest actual{};
    if (!ctx || !finish(ctx.get(), body, actual)) continue;
    if (CRYPTO_memcmp(actual.data(), expected.data(), kDigestBytes) == 0) return true;
  }
  return false;
}

bool verify_signature(const std::vector<std::string>& secrets, std::string_view header, std::string_view body) {
  return SignatureVerifier(secrets).verify(header, body);
}

}  // namespace ghscale::webhook
