// Our signatures against an independent implementation: npm @octokit/webhooks-methods,
// run under node. Skips, visibly, when node or the module is not installed (the setup
// script installs it under $GHSCALE_NPM_PREFIX, default <source>/build/npm).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/subprocess.h"
#include "support/testdata.h"
#include "webhook/examples.h"
#include "webhook/form.h"
#include "webhook/signature.h"

namespace ghscale::webhook::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::optional<fs::path> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const fs::path candidate = fs::path(std::string(rest.substr(0, colon))) / program;
    std::error_code ec;
    if (!candidate.parent_path().empty() && fs::is_regular_file(candidate, ec)) return candidate;
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
  }
  return std::nullopt;
}

fs::path npm_prefix() {
  if (const char* env = std::getenv("GHSCALE_NPM_PREFIX"); env != nullptr && *env != '\0') return env;
  return ghscale::testing::source_dir() / "build" / "npm";
}

struct Case {
  std::string secret;
  std::string payload;
};

TEST(Octokit, SignaturesAgreeWithWebhooksMethods) {
  const std::optional<fs::path> node = find_on_path("node");
  if (!node) GTEST_SKIP() << "node not on PATH; skipping the @octokit/webhooks-methods cross-check";
  const fs::path prefix = npm_prefix();
  if (!fs::exists(prefix / "node_modules" / "@octokit" / "webhooks-methods" / "package.json")) {
    GTEST_SKIP() << "@octokit/webhooks-methods not installed under " << prefix << " (npm install --prefix " << prefix
                 << " @octokit/webhooks-methods@5); skipping";
  }

  std::vector<Case> cases = {{"It's a Secret to Everybody", "Hello, World!"},
                             {kSecret, "{\"text\":\"caf\xC3\xA9 \xF0\x9F\x9A\x80\"}"}};
  if (auto testdata = ghscale::testing::testdata_dir()) {
    for (const Example& ex : load_examples(*testdata)) {
      cases.push_back({kSecret, ex.body});
      cases.push_back({kSecret, form_encode_payload(ex.body)});
    }
  } else {
    std::cerr << "[ NOTE     ] shared testdata absent: cross-checking the two fixed vectors only\n";
  }

  json::array input;
  for (const Case& c : cases) {
    input.push_back(json::object{{"secret", c.secret},
                                 {"payload", c.payload},
                                 {"ours", sign(c.secret, c.payload)},
                                 {"other_secrets", json::array{"some-older-secret"}}});
  }
  const fs::path cases_file = fs::path(::testing::TempDir()) / "ghscale_octokit_cases.json";
  {
    std::ofstream out(cases_file, std::ios::binary);
    out << json::serialize(input);
  }
  const fs::path script = ghscale::testing::source_dir() / "tests" / "webhook" / "octokit_sign.mjs";
  auto run = ghscale::testing::run({node->string(), script.string(), prefix.string(), cases_file.string()});
  fs::remove(cases_file);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const json::value output = json::parse(run.out);
  const json::array& results = output.at("results").as_array();
  ASSERT_EQ(results.size(), cases.size());
  std::cerr << "[ NOTE     ] cross-checked " << cases.size() << " payloads with @octokit/webhooks-methods "
            << output.at("version").as_string() << "\n";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    EXPECT_EQ(results[i].at("signature").as_string(), sign(cases[i].secret, cases[i].payload));
    EXPECT_TRUE(results[i].at("verified").as_bool());
    EXPECT_TRUE(results[i].at("verified_with_fallback").as_bool());  // octokit's own rotation path
    // And the other way round: octokit's signature passes our verifier.
    EXPECT_TRUE(verify_signature({"some-older-secret", cases[i].secret},
                                 std::string(results[i].at("signature").as_string()), cases[i].payload));
  }
}

}  // namespace
}  // namespace ghscale::webhook::testing
