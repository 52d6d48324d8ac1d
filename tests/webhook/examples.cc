#include "webhook/examples.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

#include "support/testdata.h"
#include "webhook/signature.h"

namespace ghscale::webhook::testing {
namespace {

// GitHub still sends the legacy SHA-1 header beside the SHA-256 one; the handler must
// ignore it, so the realistic request carries it too.
std::string sign_sha1(const std::string& secret, const std::string& body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha1=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

}  // namespace

std::vector<Example> load_examples(const std::filesystem::path& testdata) {
  const std::string text = ghscale::testing::read_file(testdata / "github" / "webhook-examples.json");
  const boost::json::value root = boost::json::parse(text);
  std::vector<Example> out;
  for (const auto& group : root.as_array()) {
    const std::string event(group.at("name").as_string());
    for (const auto& example : group.at("examples").as_array()) {
      Example e;
      e.event = event;
      e.payload = example.as_object();
      if (const auto* action = e.payload.if_contains("action")) e.action = std::string(action->as_string());
      e.body = boost::json::serialize(example);
      char id[64];
      std::snprintf(id, sizeof id, "72d3162e-cc78-11e3-81ab-%012zu", out.size() + 1);
      e.delivery_id = id;
      out.push_back(std::move(e));
    }
  }
  return out;
}

http::Request github_request(const std::string& event, const std::string& delivery_id, std::string body,
                             const std::string& secret, const std::string& content_type, const std::string& path) {
  http::Request r;
  r.method = "POST";
  r.target = path;
  r.headers.add("User-Agent", "GitHub-Hookshot/044aadd");
  r.headers.add("Content-Type", content_type);
  r.headers.add("X-GitHub-Event", event);
  r.headers.add("X-GitHub-Delivery", delivery_id);
  r.headers.add("X-GitHub-Hook-ID", "292430182");
  r.headers.add("X-GitHub-Hook-Installation-Target-ID", "79929171");
  r.headers.add("X-GitHub-Hook-Installation-Target-Type", "repository");
  r.headers.add("X-Hub-Signature", sign_sha1(secret, body));
  r.headers.add("X-Hub-Signature-256", sign(secret, body));
  r.body = std::move(body);
  r.remote_address = "140.82.115.1";
  return r;
}

}  // namespace ghscale::webhook::testing
