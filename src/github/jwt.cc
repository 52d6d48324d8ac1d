#include "github/jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>
#include <vector>

namespace ghscale::github {

struct AppJwtSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

std::string base64url_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    if (rest == 2) out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

Result<AppJwtSigner> AppJwtSigner::create(std::int64_t app_id, std::string_view private_key_pem) {
  if (app_id <= 0) return make_error(ErrorKind::kInvalid, "github app: app id must be positive");
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  if (bio == nullptr) return make_error(ErrorKind::kPermanent, "github app: out of memory reading the private key");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
    EVP_PKEY_free(pkey);
    return make_error(ErrorKind::kInvalid, "github app: the private key is not an RSA key in PEM form");
  }
  auto key = std::make_shared<Key>();
  key->pkey = pkey;
  return AppJwtSigner(app_id, std::move(key));
}

Result<std::string> AppJwtSigner::sign(TimePoint now) const {
  const auto seconds = [](TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  };
  const std::string header = base64url_encode(R"({"alg":"RS256","typ":"JWT"})");
  const std::string claims = "{\"iat\":" + std::to_string(seconds(now - kJwtBackdate)) +
                             ",\"exp\":" + std::to_string(seconds(now + kJwtLifetime)) + ",\"iss\":\"" +
                             std::to_string(app_id_) + "\"}";
  const std::string signing_input = header + "." + base64url_encode(claims);

  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return make_error(ErrorKind::kPermanent, "github app: out of memory signing the JWT");
  std::size_t length = 0;
  std::vector<unsigned char> signature;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    signature.resize(length);
    ok = EVP_DigestSign(ctx, signature.data(), &length, reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return make_error(ErrorKind::kPermanent, "github app: signing the JWT failed");
  return signing_input + "." +
         base64url_encode(std::string_view(reinterpret_cast<const char*>(signature.data()), length));
}

}  // namespace ghscale::github
