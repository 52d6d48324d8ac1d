#include "aws/crypto.h"

#include <gtest/gtest.h>

#include "aws/encoding.h"
#include "aws/request.h"
#include "aws/timestamp.h"

namespace ghscale::aws {
namespace {

TEST(Crypto, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacSha256Rfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Encoding, UriEncode) {
  EXPECT_EQ(uri_encode("-._~azAZ09"), "-._~azAZ09");
  EXPECT_EQ(uri_encode("a b/c+=\xE1\x88\xB4"), "a%20b%2Fc%2B%3D%E1%88%B4");
  EXPECT_EQ(uri_encode("/a b/", true), "/a%20b/");
  EXPECT_EQ(percent_decode("%E1%88%B4x%2f%zz%"), "\xE1\x88\xB4x/%zz%");
}

TEST(Encoding, Base64RoundTrip) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("value"), "dmFsdWU=");
  EXPECT_EQ(base64_decode("dmFsdWU=").value(), "value");
  EXPECT_EQ(base64_decode("dmFsdWU").value(), "value");
  EXPECT_FALSE(base64_decode("dm*s").has_value());
}

TEST(Timestamp, FormatsAndParses) {
  const TimePoint t = parse_iso8601("2015-08-30T12:36:00Z").value();
  EXPECT_EQ(format_amz_date(t), "20150830T123600Z");
  EXPECT_EQ(format_iso8601(t), "2015-08-30T12:36:00Z");
  EXPECT_EQ(format_http_date(t), "Sun, 30 Aug 2015 12:36:00 GMT");
  EXPECT_EQ(format_epoch_seconds(t), "1440938160");
  EXPECT_EQ(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").value(), t);
  EXPECT_EQ(parse_iso8601("2015-08-30T13:36:00+01:00").value(), t);
  const TimePoint frac = parse_iso8601("2000-01-02T20:34:56.123456Z").value();
  EXPECT_EQ(to_unix_ms(frac), 946845296123);
  EXPECT_EQ(format_iso8601(frac), "2000-01-02T20:34:56.123Z");
  EXPECT_EQ(format_epoch_seconds(frac), "946845296.123");
  EXPECT_EQ(parse_any_timestamp("946845296.123").value(), frac);
  EXPECT_FALSE(parse_iso8601("2015-02-30T00:00:00Z").ok());
  EXPECT_FALSE(parse_iso8601("2015-08-30 junk").ok());
}

TEST(Request, HeadersAndTarget) {
  Request req;
  req.headers = {{"Host", "h"}, {"x-a", "1"}, {"X-A", "2"}};
  EXPECT_EQ(*req.header("x-A"), "1");
  req.set_header("X-a", "3");
  EXPECT_EQ(req.headers.size(), 2u);
  EXPECT_EQ(*req.header("x-a"), "3");
  req.path = "/a b";
  req.query = {{"k", "v w"}};
  EXPECT_EQ(req.target(), "/a%20b?k=v%20w");
}

}  // namespace
}  // namespace ghscale::aws
