#include "config/suggest.h"

#include <gtest/gtest.h>

namespace ghscale::config {
namespace {

TEST(Suggest, FindsLikelyTypos) {
  std::vector<std::string_view> keys = {"port", "address", "max_runners", "min_idle", "webhook_path"};
  EXPECT_EQ(closest_match("prot", keys), "port");         // swapped neighbours
  EXPECT_EQ(closest_match("max_runer", keys), "max_runners");
  EXPECT_EQ(closest_match("Adress", keys), "address");
  EXPECT_EQ(closest_match("min-idle", keys), "min_idle");
  EXPECT_EQ(closest_match("completely_else", keys), std::nullopt);
  EXPECT_EQ(closest_match("x", keys), std::nullopt);
}

}  // namespace
}  // namespace ghscale::config
