// Optional TLS for direct exposure: a throwaway self-signed certificate made by the
// openssl tool, the server on loopback, the curl client trusting that certificate.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "http/client.h"
#include "http/server.h"
#include "support/subprocess.h"

namespace ghscale::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    auto r = testing::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", (dir_ / "key.pem").string(), "-out",
                           (dir_ / "cert.pem").string()});
    if (r.exit_code != 0) GTEST_SKIP() << "openssl tool unavailable: " << r.err;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(TlsTest, ServesHttpsAndRefusesPlainHttp) {
  auto server = Server::start({.tls_cert_file = (dir_ / "cert.pem").string(), .tls_key_file = (dir_ / "key.pem").string()},
                              make_sync_handler([](const Request& r) { return Response::text(200, "secure " + r.target); }));
  ASSERT_TRUE(server.ok()) << server.error().describe();
  std::string port = std::to_string((*server)->port());
  auto client = make_curl_client({.ca_file = (dir_ / "cert.pem").string()});
  for (int i = 0; i < 2; ++i) {  // the second call reuses the TLS connection
    auto r = client->send({.url = "https://127.0.0.1:" + port + "/x"});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "secure /x");
  }
  auto untrusted = make_curl_client()->send({.url = "https://127.0.0.1:" + port + "/x"});
  EXPECT_FALSE(untrusted.ok());  // self-signed, not in the system store
  auto plain = make_curl_client({.timeout = 2s})->send({.url = "http://127.0.0.1:" + port + "/x"});
  EXPECT_TRUE(!plain.ok() || plain->status != 200);
  (*server)->shutdown(1s);
}

TEST_F(TlsTest, MissingOrBadKeyIsAClearError) {
  auto r = Server::start({.tls_cert_file = (dir_ / "cert.pem").string(), .tls_key_file = (dir_ / "nope.pem").string()},
                         make_sync_handler([](const Request&) { return Response::text(200, ""); }));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(r.error().message.find("TLS key"), std::string::npos);
}

}  // namespace
}  // namespace ghscale::http
