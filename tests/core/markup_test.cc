#include "core/markup.h"

#include <gtest/gtest.h>

namespace ghscale {
namespace {

TEST(Markup, EscapesWhatMarkupGivesMeaningAndNothingElse) {
  EXPECT_EQ(markup_escaped(R"(<a href="x">Tom & Jerry's</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(markup_escaped("plain text, ü and 10%"), "plain text, ü and 10%");
  EXPECT_EQ(markup_escaped(""), "");
  // An entity in the input is text, not markup: escaped again.
  EXPECT_EQ(markup_escaped("&amp;"), "&amp;amp;");
  std::string out = "x=";
  append_markup_escaped(out, "<>");
  EXPECT_EQ(out, "x=&lt;&gt;");
}

}  // namespace
}  // namespace ghscale
