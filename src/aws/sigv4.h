// AWS Signature Version 4: signs a Request in place, either with headers (X-Amz-Date,
// Authorization, ...) or as a presigned URL (X-Amz-* query parameters). Follows the
// rules of AWS's signing test suite (tests/aws/sigv4_suite_test.cc runs all of it).
// A Signer is immutable after construction except for its signing-key cache; sign() and
// presign() are thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aws/crypto.h"
#include "aws/request.h"
#include "core/clock.h"
#include "core/error.h"

namespace ghscale::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

struct SigningOptions {
  std::string region;
  std::string service;
  // Remove "." and ".." segments and repeated slashes before signing. S3 signs the path
  // exactly as sent, so it turns this off.
  bool normalize_path = true;
  // Send the payload hash as x-amz-content-sha256 and sign it (S3 and a few others).
  bool sign_body = false;
  // Add the session token after signing, unsigned (what some STS-era services expect).
  bool omit_session_token = false;
};

// The intermediate values, for tests and for debugging a SignatureDoesNotMatch.
struct SigningTrace {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

class Signer {
 public:
  explicit Signer(SigningOptions options);

  // Appends, in this order, X-Amz-Security-Token (with a session token), X-Amz-Date,
  // x-amz-content-sha256 (with sign_body) and Authorization, replacing earlier ones so a
  // retried request can be signed again. Errors: kUnauthorized without keys, kInvalid
  // without a host header.
  Status sign(Request& request, const Credentials& credentials, TimePoint now, SigningTrace* trace = nullptr) const;

  // Appends X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Expires,
  // -Security-Token and -Signature to the query. Same errors as sign().
  Status presign(Request& request, const Credentials& credentials, TimePoint now, std::chrono::seconds expires,
                 SigningTrace* trace = nullptr) const;

  const SigningOptions& options() const { return options_; }

 private:
  Sha256Digest signing_key(const std::string& secret, std::string_view date) const;

  const SigningOptions options_;

  struct CachedKey {
    std::string secret;
    std::string date;  // YYYYMMDD
    Sha256Digest key;
  };
  mutable std::mutex mu_;
  mutable std::vector<CachedKey> key_cache_;  // guarded by mu_; a few entries at most
};

// kSecret = "AWS4" + secret; HMAC chain over date, region, service, "aws4_request".
Sha256Digest derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                                std::string_view service);

// The canonical URI of a decoded path (normalized or not), e.g. "/example%20space/".
std::string canonical_uri(std::string_view path, bool normalize);

// A header value as SigV4 signs it: trimmed, with every run of whitespace (including
// folded lines) collapsed to one space.
std::string canonical_header_value(std::string_view value);

}  // namespace ghscale::aws
