// Tags behaves as the std::map it replaced in CloudInstance: sorted, unique keys, emplace
// keeps the first value, operator[] inserts, at() throws for a missing key.
#include "provider/tags.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace ghscale::provider {
namespace {

TEST(Tags, KeepsKeysSortedAndUnique) {
  Tags t;
  EXPECT_TRUE(t.emplace("ghscale:pool", "linux").second);
  EXPECT_TRUE(t.emplace("ghscale:job", "42").second);
  EXPECT_FALSE(t.emplace("ghscale:pool", "other").second);  // the first value stays
  t["ghscale:launch"] = "tok";
  t["ghscale:job"] = "43";  // operator[] overwrites
  std::vector<std::string> keys;
  for (const auto& [k, v] : t) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"ghscale:job", "ghscale:launch", "ghscale:pool"}));
  EXPECT_EQ(t.at("ghscale:pool"), "linux");
  EXPECT_EQ(t.at("ghscale:job"), "43");
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.count("ghscale:launch"), 1u);
  EXPECT_EQ(t.find("nope"), t.end());
  EXPECT_THROW((void)t.at("nope"), std::out_of_range);
  EXPECT_EQ(t.erase("ghscale:launch"), 1u);
  EXPECT_EQ(t.erase("ghscale:launch"), 0u);
  EXPECT_FALSE(t.contains("ghscale:launch"));
}

TEST(Tags, ComparesByContentWhateverTheInsertionOrder) {
  Tags a{{"b", "2"}, {"a", "1"}};
  Tags b;
  b["a"] = "1";
  b["b"] = "2";
  EXPECT_EQ(a, b);
  b["b"] = "3";
  EXPECT_NE(a, b);
  b.clear();
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace ghscale::provider
