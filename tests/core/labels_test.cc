#include "core/labels.h"

#include <gtest/gtest.h>

namespace ghscale {
namespace {

TEST(LabelSet, CaseInsensitiveSortedUnique) {
  LabelSet s{"Linux", "X64", "self-hosted", "linux"};
  EXPECT_EQ(s.joined(), "linux,self-hosted,x64");
  EXPECT_TRUE(s.contains("LINUX"));
  EXPECT_FALSE(s.contains("arm64"));
}

TEST(LabelSet, Subset) {
  LabelSet pool{"self-hosted", "linux", "x64", "gpu"};
  EXPECT_TRUE((LabelSet{"self-hosted", "Linux"}).subset_of(pool));
  EXPECT_TRUE(LabelSet{}.subset_of(pool));
  EXPECT_FALSE((LabelSet{"linux", "arm64"}).subset_of(pool));
}

TEST(LabelSet, ParseJoinedRoundTrip) {
  LabelSet s{"b", "a", "c"};
  EXPECT_EQ(parse_labels(s.joined()), s);
  EXPECT_TRUE(parse_labels("").empty());
}

}  // namespace
}  // namespace ghscale
