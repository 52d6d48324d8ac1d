// Optional TLS for direct exposure: a throwaway self-signed certificate made by the
// openssl tool, the server on loopback, the curl client trusting that certificate.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

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

// Handshakes offering only `ciphers` (for TLS 1.2 and below, the whole offer) with at
// most `max_version`. The client itself allows anything, so only the server decides.
bool handshake(std::uint16_t port, const char* ciphers, int max_version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, 0);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  bool offered = SSL_CTX_set_cipher_list(ctx, ciphers) == 1;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  bool ok = false;
  if (offered && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1;
    SSL_free(ssl);
  }
  ::close(fd);
  SSL_CTX_free(ctx);
  EXPECT_TRUE(offered) << ciphers;
  return ok;
}

TEST_F(TlsTest, OnlyForwardSecretAeadSuitesOnTls12AndLater) {
  // An RSA certificate, so that RSA key exchange and RSA-authenticated CBC suites would
  // be possible at all if the server allowed them.
  auto r = testing::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                         "/CN=127.0.0.1", "-keyout", (dir_ / "rsa-key.pem").string(), "-out",
                         (dir_ / "rsa-cert.pem").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto server = Server::start(
      {.tls_cert_file = (dir_ / "rsa-cert.pem").string(), .tls_key_file = (dir_ / "rsa-key.pem").string()},
      make_sync_handler([](const Request&) { return Response::text(200, "ok"); }));
  ASSERT_TRUE(server.ok()) << server.error().describe();
  std::uint16_t port = (*server)->port();
  EXPECT_FALSE(handshake(port, "AES128-SHA", TLS1_2_VERSION));              // RSA key exchange, CBC
  EXPECT_FALSE(handshake(port, "AES128-GCM-SHA256", TLS1_2_VERSION));       // RSA key exchange
  EXPECT_FALSE(handshake(port, "ECDHE-RSA-AES128-SHA", TLS1_2_VERSION));    // CBC, SHA-1
  EXPECT_FALSE(handshake(port, "ECDHE-RSA-AES256-SHA384", TLS1_2_VERSION)); // CBC
  EXPECT_FALSE(handshake(port, "ALL:@SECLEVEL=0", TLS1_1_VERSION));         // below TLS 1.2
  EXPECT_TRUE(handshake(port, "ECDHE-RSA-AES128-GCM-SHA256", TLS1_2_VERSION));
  EXPECT_TRUE(handshake(port, "ECDHE-RSA-CHACHA20-POLY1305", TLS1_2_VERSION));
  EXPECT_TRUE(handshake(port, "DEFAULT", TLS1_3_VERSION));
  (*server)->shutdown(1s);
}

}  // namespace
}  // namespace ghscale::http
