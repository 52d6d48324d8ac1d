#include "core/error.h"

#include <gtest/gtest.h>

namespace ghscale {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0) return make_error(ErrorKind::kInvalid, std::to_string(x) + " is odd");
  return x / 2;
}

TEST(Result, HoldsValueOrError) {
  auto a = half(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 2);
  auto b = half(3);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(b.error().describe(), "invalid: 3 is odd");
}

TEST(Error, KindsHaveStableNames) {
  EXPECT_EQ(to_string(ErrorKind::kRetryable), "retryable");
  EXPECT_EQ(to_string(ErrorKind::kThrottled), "throttled");
  EXPECT_EQ(to_string(ErrorKind::kNotFound), "not-found");
  EXPECT_EQ(to_string(ErrorKind::kConflict), "conflict");
  EXPECT_EQ(to_string(ErrorKind::kInvalid), "invalid");
  EXPECT_EQ(to_string(ErrorKind::kUnauthorized), "unauthorized");
  EXPECT_EQ(to_string(ErrorKind::kPermanent), "permanent");
}

TEST(Error, OnlyRetryableAndThrottledAreRetried) {
  EXPECT_TRUE(make_error(ErrorKind::kRetryable, "").retryable());
  EXPECT_TRUE(make_error(ErrorKind::kThrottled, "").retryable());
  for (auto k : {ErrorKind::kNotFound, ErrorKind::kConflict, ErrorKind::kInvalid, ErrorKind::kUnauthorized,
                 ErrorKind::kPermanent}) {
    EXPECT_FALSE(make_error(k, "").retryable());
  }
}

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status bad = make_error(ErrorKind::kConflict, "busy");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kConflict);
}

}  // namespace
}  // namespace ghscale
