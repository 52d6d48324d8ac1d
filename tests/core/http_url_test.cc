#include "core/http_url.h"

#include <gtest/gtest.h>

namespace ghscale {
namespace {

TEST(HttpUrl, AcceptsWhatGhscaleDials) {
  for (const char* url : {"http://127.0.0.1:8080", "https://api.github.com", "https://ghe.example.com/api/v3",
                          "http://[::1]:9000/", "http://localhost", "https://h.example:443/x?y=1"}) {
    EXPECT_EQ(http_url_problem(url), std::nullopt) << url;
  }
}

TEST(HttpUrl, SaysWhatIsWrongWithoutRepeatingTheUrl) {
  const struct {
    const char* url;
    const char* problem;
  } cases[] = {
      {"ftp://h", "is not an http:// or https:// URL"},
      {"notaurl", "is not an http:// or https:// URL"},
      {"", "is not an http:// or https:// URL"},
      {"http://", "has no host"},
      {"http:///path", "has no host"},
      {"http://:80", "has no host"},
      {"http://user:pass@127.0.0.1:1", "carries credentials (user:pass@): give them as a secret, never in a URL"},
      {"https://token@h/x", "carries credentials (user:pass@): give them as a secret, never in a URL"},
      {"http://h:99999", "has a port that is not a number from 1 to 65535"},
      {"http://h:0", "has a port that is not a number from 1 to 65535"},
      {"http://h:", "has a port that is not a number from 1 to 65535"},
      {"http://h:8o", "has a port that is not a number from 1 to 65535"},
      {"http://h x", "has a space or a control character"},
      {"http://h\n", "has a space or a control character"},
      {"http://[::1", "has an unclosed [ in its host"},
  };
  for (const auto& c : cases) {
    auto p = http_url_problem(c.url);
    ASSERT_TRUE(p.has_value()) << c.url;
    EXPECT_EQ(*p, c.problem) << c.url;
  }
  // An @ after the host is part of the path or query, not a credential.
  EXPECT_EQ(http_url_problem("https://h/users/a@b"), std::nullopt);
}

}  // namespace
}  // namespace ghscale
