// The fake_aws executable: starts, prints its port, serves, stops on SIGTERM.
#include <gtest/gtest.h>

#include <csignal>

#include "support/http_client.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale::aws {
namespace {

TEST(FakeAwsBinary, PrintsItsPortAndStopsOnSigterm) {
  GHSCALE_REQUIRE_TESTDATA(root);
  ghscale::testing::Subprocess fake(
      {GHSCALE_FAKE_AWS_BINARY, "--models", (root / "aws-models").string(), "--group", "runners:2:5"});
  std::string port;
  ASSERT_TRUE(fake.wait_for_stderr(
      [&](const std::string&) {
        const std::string& out = fake.out();
        const auto at = out.find("PORT ");
        if (at == std::string::npos || out.find('\n', at) == std::string::npos) return false;
        port = out.substr(at + 5, out.find('\n', at) - at - 5);
        return true;
      },
      std::chrono::seconds(20)));
  auto reply = ghscale::testing::http_request(static_cast<std::uint16_t>(std::stoi(port)), "POST", "/",
                                              {{"Content-Type", "application/x-www-form-urlencoded"}},
                                              "Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(reply.status, 403) << "unsigned requests are refused";
  EXPECT_NE(reply.body.find("MissingAuthenticationToken"), std::string::npos);
  fake.signal(SIGTERM);
  EXPECT_EQ(fake.wait(std::chrono::seconds(10)), 0);
}

}  // namespace
}  // namespace ghscale::aws
