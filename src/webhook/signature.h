// GitHub webhook signatures: X-Hub-Signature-256 = "sha256=" + hex(HMAC-SHA256(secret, body)).
// Verification compares in constant time and accepts any of several secrets, so a secret
// can be rotated without dropping deliveries. Thread-safe after construction.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ghscale::webhook {

inline constexpr std::string_view kSignature256Header = "X-Hub-Signature-256";
inline constexpr std::string_view kSignatureSha1Header = "X-Hub-Signature";  // legacy; never trusted
inline constexpr std::string_view kSignaturePrefix = "sha256=";

// "sha256=" followed by 64 lower-case hex digits, exactly as GitHub sends it.
std::string sign(std::string_view secret, std::string_view body);

class SignatureVerifier {
 public:
  // Empty secrets are dropped: an empty HMAC key would let anyone sign.
  explicit SignatureVerifier(const std::vector<std::string>& secrets);
  ~SignatureVerifier();
  SignatureVerifier(SignatureVerifier&&) noexcept;
  SignatureVerifier& operator=(SignatureVerifier&&) noexcept;

  // True when header is "sha256=<hex>" and the digest matches the body under any secret.
  // Hex digits may be either case; anything else (missing prefix, wrong length) is false.
  bool verify(std::string_view header, std::string_view body) const;

  std::size_t secret_count() const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
};

// One-off convenience for callers without a long-lived verifier (tests, tools).
bool verify_signature(const std::vector<std::string>& secrets, std::string_view header, std::string_view body);

}  // namespace ghscale::webhook
