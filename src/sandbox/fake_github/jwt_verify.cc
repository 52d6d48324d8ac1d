#include "sandbox/fake_github/jwt_verify.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include <vector>

namespace ghscale::fake_github {
namespace {

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

struct Parts {
  std::string_view header, payload, signature;
};

std::optional<Parts> split(std::string_view jwt) {
  const auto a = jwt.find('.');
  const auto b = jwt.find('.', a == std::string_view::npos ? a : a + 1);
  if (a == std::string_view::npos || b == std::string_view::npos) return std::nullopt;
  return Parts{jwt.substr(0, a), jwt.substr(a + 1, b - a - 1), jwt.substr(b + 1)};
}

Error bad(std::string message) { return make_error(ErrorKind::kUnauthorized, std::move(message)); }

std::optional<std::int64_t> int_claim(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_string()) {
    try {
      return std::stoll(std::string(v->as_string()));
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Result<boost::json::object> payload_of(const Parts& p) {
  auto text = base64url_decode(p.payload);
  if (!text) return bad("A JSON web token could not be decoded");
  boost::system::error_code ec;
  auto v = boost::json::parse(*text, ec);
  if (ec || !v.is_object()) return bad("A JSON web token could not be decoded");
  return v.as_object();
}

}  // namespace

Result<std::int64_t> jwt_issuer(std::string_view jwt) {
  auto p = split(jwt);
  if (!p) return bad("A JSON web token could not be decoded");
  auto payload = payload_of(*p);
  if (!payload) return std::move(payload).error();
  auto iss = int_claim(*payload, "iss");
  if (!iss) return bad("'Issuer' claim ('iss') must be an Integer");
  return *iss;
}

Status verify_app_jwt(std::string_view jwt, std::string_view public_key_pem, std::int64_t app_id, TimePoint now) {
  auto p = split(jwt);
  if (!p) return bad("A JSON web token could not be decoded");
  auto header = base64url_decode(p->header);
  if (!header || header->find("\"RS256\"") == std::string::npos) return bad("JWT must be signed with RS256");
  auto signature = base64url_decode(p->signature);
  if (!signature) return bad("A JSON web token could not be decoded");

  BIO* bio = BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size()));
  EVP_PKEY* key = bio != nullptr ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) return make_error(ErrorKind::kPermanent, "fake github: the App's public key does not parse");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const std::string signed_part(jwt.substr(0, p->header.size() + 1 + p->payload.size()));
  const bool valid = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                     EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                                      reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!valid) return bad("A JSON web token could not be decoded");

  auto payload = payload_of(*p);
  if (!payload) return std::move(payload).error();
  const auto iss = int_claim(*payload, "iss");
  const auto iat = int_claim(*payload, "iat");
  const auto exp = int_claim(*payload, "exp");
  if (!iss || *iss != app_id) return bad("'Issuer' claim ('iss') must be the App's id");
  if (!iat || !exp) return bad("'Issued at' and 'Expiration time' claims are required");
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (*iat > t + 60) return bad("'Issued at' claim ('iat') must be an Integer representing a time in the past");
  if (*exp <= t) return bad("'Expiration time' claim ('exp') must be a numeric value representing the future time");
  if (*exp - *iat > 600) return bad("'Expiration time' claim ('exp') is too far in the future");
  return ok_status();
}

}  // namespace ghscale::fake_github
