#include "webhook/signature.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ghscale::webhook {
namespace {

// GitHub's documented example ("Validating webhook deliveries").
constexpr char kDocSecret[] = "It's a Secret to Everybody";
constexpr char kDocPayload[] = "Hello, World!";
constexpr char kDocSignature[] = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(Signature, MatchesGitHubDocumentedVector) {
  EXPECT_EQ(sign(kDocSecret, kDocPayload), kDocSignature);
  EXPECT_TRUE(verify_signature({kDocSecret}, kDocSignature, kDocPayload));
}

TEST(Signature, AcceptsUpperCaseHex) {
  std::string upper = kDocSignature;
  for (std::size_t i = kSignaturePrefix.size(); i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(verify_signature({kDocSecret}, upper, kDocPayload));
}

TEST(Signature, RejectsEveryOtherShape) {
  const std::vector<std::string> secrets{kDocSecret};
  const std::string good = kDocSignature;
  EXPECT_FALSE(verify_signature(secrets, "", kDocPayload));
  EXPECT_FALSE(verify_signature(secrets, good.substr(7), kDocPayload));              // no prefix
  EXPECT_FALSE(verify_signature(secrets, "SHA256=" + good.substr(7), kDocPayload));  // prefix is lower-case
  EXPECT_FALSE(verify_signature(secrets, "sha1=" + good.substr(7), kDocPayload));
  EXPECT_FALSE(verify_signature(secrets, good.substr(0, good.size() - 1), kDocPayload));  // short
  EXPECT_FALSE(verify_signature(secrets, good + "0", kDocPayload));                       // long
  EXPECT_FALSE(verify_signature(secrets, good + " ", kDocPayload));
  std::string non_hex = good;
  non_hex.back() = 'g';
  EXPECT_FALSE(verify_signature(secrets, non_hex, kDocPayload));
  std::string flipped = good;
  flipped.back() = flipped.back() == '7' ? '6' : '7';
  EXPECT_FALSE(verify_signature(secrets, flipped, kDocPayload));
  EXPECT_FALSE(verify_signature(secrets, good, "Hello, World"));                      // body changed
  EXPECT_FALSE(verify_signature({"It's a secret to everybody"}, good, kDocPayload));  // secret changed
}

TEST(Signature, AnyOfSeveralSecretsVerifies) {
  const std::string body = R"({"action":"queued"})";
  SignatureVerifier verifier({"old-secret", "new-secret"});
  EXPECT_EQ(verifier.secret_count(), 2u);
  EXPECT_TRUE(verifier.verify(sign("old-secret", body), body));
  EXPECT_TRUE(verifier.verify(sign("new-secret", body), body));
  EXPECT_FALSE(verifier.verify(sign("other-secret", body), body));
}

TEST(Signature, EmptySecretsAreDroppedSoNothingVerifies) {
  SignatureVerifier verifier({"", ""});
  EXPECT_EQ(verifier.secret_count(), 0u);
  EXPECT_FALSE(verifier.verify(sign("", "x"), "x"));
}

TEST(Signature, EmptyAndBinaryBodies) {
  const std::string binary("a\0b\xff", 4);
  EXPECT_TRUE(verify_signature({"s3cret"}, sign("s3cret", binary), binary));
  EXPECT_TRUE(verify_signature({"s3cret"}, sign("s3cret", ""), ""));
  EXPECT_NE(sign("s3cret", binary), sign("s3cret", "a"));  // a NUL does not end the body
}

TEST(Signature, VerifierIsMovable) {
  SignatureVerifier a({kDocSecret});
  SignatureVerifier b = std::move(a);
  EXPECT_TRUE(b.verify(kDocSignature, kDocPayload));
}

}  // namespace
}  // namespace ghscale::webhook
