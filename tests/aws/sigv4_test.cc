#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include "aws/timestamp.h"

namespace ghscale::aws {
namespace {

Credentials example_credentials() { return Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""}; }
TimePoint example_time() { return parse_iso8601("2015-08-30T12:36:00Z").value(); }

// AWS's documented example (IAM ListUsers, "Create a signed AWS API request").
TEST(SigV4, DocumentedIamListUsersExample) {
  Request req;
  req.method = "GET";
  req.path = "/";
  req.query = {{"Action", "ListUsers"}, {"Version", "2010-05-08"}};
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, {"Host", "iam.amazonaws.com"}};
  const Signer signer(SigningOptions{"us-east-1", "iam"});
  SigningTrace trace;
  ASSERT_TRUE(signer.sign(req, example_credentials(), example_time(), &trace).ok());
  EXPECT_EQ(trace.canonical_request,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(trace.signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  EXPECT_EQ(*req.header("authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  EXPECT_EQ(req.target(), "/?Action=ListUsers&Version=2010-05-08");
}

TEST(SigV4, DerivedKeyMatchesDocumentedValue) {
  // From AWS's "Examples of how to derive a signing key" page.
  EXPECT_EQ(hex(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, SigningTwiceReplacesTheEarlierSignature) {
  Request req;
  req.headers = {{"Host", "ec2.us-east-1.amazonaws.com"}};
  req.body = "Action=DescribeInstances&Version=2016-11-15";
  const Signer signer(SigningOptions{"us-east-1", "ec2"});
  ASSERT_TRUE(signer.sign(req, example_credentials(), example_time()).ok());
  const std::string first = *req.header("Authorization");
  ASSERT_TRUE(signer.sign(req, example_credentials(), example_time()).ok());
  EXPECT_EQ(*req.header("Authorization"), first);
  EXPECT_EQ(req.headers.size(), 3u);  // Host, X-Amz-Date, Authorization
}

TEST(SigV4, SessionTokenIsSignedUnlessOmitted) {
  Credentials creds = example_credentials();
  creds.session_token = "token/with+chars";
  Request req;
  req.headers = {{"Host", "sts.amazonaws.com"}};
  SigningTrace trace;
  ASSERT_TRUE(Signer(SigningOptions{"us-east-1", "sts"}).sign(req, creds, example_time(), &trace).ok());
  EXPECT_NE(trace.canonical_request.find("x-amz-security-token:token/with+chars\n"), std::string::npos);
  EXPECT_EQ(*req.header("X-Amz-Security-Token"), "token/with+chars");

  Request req2;
  req2.headers = {{"Host", "sts.amazonaws.com"}};
  ASSERT_TRUE(
      Signer(SigningOptions{"us-east-1", "sts", true, false, true}).sign(req2, creds, example_time(), &trace).ok());
  EXPECT_EQ(trace.canonical_request.find("x-amz-security-token"), std::string::npos);
  EXPECT_EQ(*req2.header("X-Amz-Security-Token"), "token/with+chars");
}

TEST(SigV4, ExplicitPayloadHashIsUsed) {
  Request req;
  req.headers = {{"Host", "bucket.s3.amazonaws.com"}};
  req.payload_hash = "UNSIGNED-PAYLOAD";
  SigningTrace trace;
  ASSERT_TRUE(Signer(SigningOptions{"us-east-1", "s3", false, true}).sign(req, example_credentials(), example_time(),
                                                                          &trace)
                  .ok());
  EXPECT_EQ(*req.header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(trace.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(SigV4, TransportHeadersAreNotSigned) {
  Request req;
  req.headers = {{"Host", "h"}, {"User-Agent", "ghscale/0.1"}, {"X-Amzn-Trace-Id", "Root=1"}};
  SigningTrace trace;
  ASSERT_TRUE(Signer(SigningOptions{"r", "s"}).sign(req, example_credentials(), example_time(), &trace).ok());
  EXPECT_NE(req.header("Authorization")->find("SignedHeaders=host;x-amz-date,"), std::string::npos);
}

TEST(SigV4, RefusesWithoutCredentialsOrHost) {
  const Signer signer(SigningOptions{"us-east-1", "ec2"});
  Request req;
  req.headers = {{"Host", "h"}};
  Status s = signer.sign(req, Credentials{}, example_time());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kUnauthorized);
  Request no_host;
  s = signer.sign(no_host, example_credentials(), example_time());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kInvalid);
  s = signer.presign(req, example_credentials(), example_time(), std::chrono::seconds(0));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kInvalid);
}

TEST(SigV4, KeyCacheFollowsTheDate) {
  const Signer signer(SigningOptions{"us-east-1", "iam"});
  Request a;
  a.headers = {{"Host", "h"}};
  Request b = a;
  SigningTrace ta, tb;
  ASSERT_TRUE(signer.sign(a, example_credentials(), example_time(), &ta).ok());
  ASSERT_TRUE(signer.sign(b, example_credentials(), example_time() + std::chrono::hours(24), &tb).ok());
  // A cached key of the wrong day would still sign, but differently from a fresh signer.
  Request c = Request{};
  c.headers = {{"Host", "h"}};
  SigningTrace tc;
  ASSERT_TRUE(Signer(SigningOptions{"us-east-1", "iam"})
                  .sign(c, example_credentials(), example_time() + std::chrono::hours(24), &tc)
                  .ok());
  EXPECT_EQ(tb.signature, tc.signature);
  EXPECT_NE(ta.signature, tb.signature);
}

TEST(SigV4, CanonicalUri) {
  EXPECT_EQ(canonical_uri("", true), "/");
  EXPECT_EQ(canonical_uri("/a/./b/../c//d/", true), "/a/c/d/");
  EXPECT_EQ(canonical_uri("/a/./b/../c//d/", false), "/a/./b/../c//d/");
  EXPECT_EQ(canonical_uri("/x y/z:1", true), "/x%20y/z%3A1");
  EXPECT_EQ(canonical_uri("/..", true), "/");
}

TEST(SigV4, CanonicalHeaderValue) {
  EXPECT_EQ(canonical_header_value("  a   b \t c  "), "a b c");
  EXPECT_EQ(canonical_header_value("value1\n  value2\n     value3"), "value1 value2 value3");
  EXPECT_EQ(canonical_header_value(""), "");
}

}  // namespace
}  // namespace ghscale::aws
