// `ghscale serve` under attack, as it would be on the open internet: floods of chunk
// extensions and trailers, idle sockets, slowloris, huge declared bodies, bad framing,
// many large unsigned bodies, pipelining, other protocols, odd methods and paths. Each
// attack is bounded in size and time and runs from its own loopback addresses (all of
// 127.0.0.0/8 is loopback), while GitHub's deliveries come from 127.0.0.1. During each
// one the daemon's memory stays under 256 MB, /healthz answers, and a correctly signed
// delivery is acknowledged within a second; afterwards every acknowledged delivery is in
// the store and nothing unsigned is. Also: /readyz fails while the store cannot write.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "../http/peer_connection.h"
#include "support/http_client.h"
#include "support/subprocess.h"
#include "support/testdata.h"
#include "webhook/signature.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::PeerConnection;
using testing::Subprocess;

constexpr const char* kSecret = "attack-test-webhook-secret";
constexpr long kMaxRssKb = 256 * 1024;
// Job ids of deliveries that must never be stored (unsigned or badly signed).
constexpr std::int64_t kForgedJobBase = 900000;

std::string job_payload(std::int64_t job_id) {
  return R"({"action":"queued","workflow_job":{"id":)" + std::to_string(job_id) +
         R"(,"run_id":77,"run_attempt":1,"status":"queued","conclusion":null,"labels":["self-hosted","linux","x64"],)"
         R"("runner_id":null,"runner_name":null,"runner_group_id":null,"runner_group_name":null,)"
         R"("workflow_name":"CI","name":"build","created_at":"2026-11-28T10:00:00Z","started_at":null,)"
         R"("completed_at":null},"repository":{"full_name":"acme/app","owner":{"login":"acme"}},)"
         R"("installation":{"id":5}})";
}

std::string post_head(const std::string& extra_headers) {
  return "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: workflow_job\r\n"
         "X-GitHub-Delivery: forged\r\n" +
         extra_headers + "\r\n";
}

// Resident memory of a process in KiB, from /proc.
long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Opens `count` connections spread over `addresses` source addresses 127.0.0.<first>...
std::vector<std::unique_ptr<PeerConnection>> open_many(std::uint16_t port, int count, int first, int addresses) {
  std::vector<std::unique_ptr<PeerConnection>> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(std::make_unique<PeerConnection>(port, "127.0.0." + std::to_string(first + i % addresses)));
  }
  return out;
}

class AttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < 8192 && lim.rlim_max >= 8192) {
      lim.rlim_cur = 8192;  // the daemon inherits it
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    dir_ = fs::temp_directory_path() / ("ghscale-attack-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_ = (dir_ / "ghscale.yaml").string();
    // A short read deadline keeps the test short; max_connections below the idle flood
    // so that eviction is exercised. The log goes to a file: an undrained stderr pipe
    // would stall a daemon that logs every refused delivery.
    std::ofstream(config_) << "server: {address: 127.0.0.1, port: 0, threads: 2, read_timeout: 3s, "
                              "max_connections: 1500}\n"
                              "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                              "store: {sqlite: {path: state/ghscale.db}}\n"
                              "logging: {format: json, file: ghscale.log}\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::uint16_t start() {
    daemon_ = std::make_unique<Subprocess>(
        std::vector<std::string>{testing::ghscale_binary().string(), "serve", "--config", config_},
        std::vector<std::string>{std::string("GHSCALE_TEST_WEBHOOK_SECRET=") + kSecret,
                                 "AWS_EC2_METADATA_DISABLED=true"});
    static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
    for (int i = 0; i < 200; ++i) {
      std::ifstream in(dir_ / "ghscale.log");
      std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::smatch m;
      if (std::regex_search(log, m, kListening)) return static_cast<std::uint16_t>(std::stoi(m[1].str()));
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "daemon did not start: " << daemon_->err();
    return 0;
  }

  // What must hold during every attack.
  void expect_service(const std::string& attack) {
    SCOPED_TRACE(attack);
    long rss = rss_kb(daemon_->pid());
    EXPECT_GT(rss, 0);
    EXPECT_LT(rss, kMaxRssKb) << "daemon RSS " << rss << " KiB";
    peak_rss_kb_ = std::max(peak_rss_kb_, rss);
    EXPECT_EQ(testing::http_request(port_, "GET", "/healthz").status, 200);
    std::int64_t job = 1000 + static_cast<std::int64_t>(acknowledged_.size());
    std::string body = job_payload(job);
    auto t0 = std::chrono::steady_clock::now();
    auto r = testing::http_request(port_, "POST", "/webhook",
                                   {{"Content-Type", "application/json"},
                                    {"X-GitHub-Event", "workflow_job"},
                                    {"X-GitHub-Delivery", "signed-" + std::to_string(job)},
                                    {"X-Hub-Signature-256", webhook::sign(kSecret, body)}},
                                   body);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.status, 200) << r.head << r.body;
    EXPECT_LT(took, 1s);
    if (r.status == 200) acknowledged_.push_back(job);
  }

  fs::path dir_;
  std::string config_;
  std::unique_ptr<Subprocess> daemon_;
  std::uint16_t port_ = 0;
  std::vector<std::int64_t> acknowledged_;
  long peak_rss_kb_ = 0;
};

// Sends `bytes` in pieces until done or refused; returns the status the server answered.
int flood(PeerConnection& c, const std::string& head, char fill, std::size_t bytes) {
  c.send(head);
  const std::string piece(256 * 1024, fill);
  for (std::size_t sent = 0; sent < bytes; sent += piece.size()) {
    if (!c.send(piece)) break;
  }
  return c.status(5s);
}

TEST_F(AttackTest, DaemonKeepsServingAndStoresOnlySignedDeliveries) {
  port_ = start();
  ASSERT_NE(port_, 0);
  expect_service("baseline");
  const auto suite_start = std::chrono::steady_clock::now();

  {  // Chunk extensions that never end, and trailer sections larger than any header:
     // 8 connections x 32 MiB each (256 MiB in all, the size that used to be buffered).
    std::vector<std::thread> attackers;
    std::vector<int> statuses(16, -1);
    for (int i = 0; i < 16; ++i) {
      attackers.emplace_back([&, i] {
        PeerConnection c(port_, "127.0.0." + std::to_string(2 + i % 2));
        const std::string chunked = post_head("Transfer-Encoding: chunked\r\n");
        statuses[static_cast<std::size_t>(i)] =
            i < 8 ? flood(c, chunked + "1;", 'e', 32u << 20) : flood(c, chunked + "5\r\nhello\r\n0\r\nX-T: ", 't', 32u << 20);
      });
    }
    std::this_thread::sleep_for(100ms);
    expect_service("chunk extension and trailer floods");
    for (auto& t : attackers) t.join();
    for (int s : statuses) EXPECT_EQ(s, 400);
    expect_service("after chunk extension and trailer floods");
  }

  {  // Idle sockets: 2,000 that never send a byte, 250 from each of 8 addresses. The
     // server holds at most 1,500; the oldest idle ones are evicted for newcomers, and
     // all of them go after the read deadline (3 s), not the keep-alive time.
    auto idle = open_many(port_, 2000, 10, 8);
    expect_service("2,000 idle sockets");
    // One address may not hold more than 256.
    auto one_peer = open_many(port_, 300, 20, 1);
    int refused = 0;
    for (auto t0 = std::chrono::steady_clock::now(); refused < 300 - 256 && std::chrono::steady_clock::now() - t0 < 2s;) {
      std::this_thread::sleep_for(100ms);
      refused = 0;
      for (auto& c : one_peer) refused += c->closed_by_peer(1ms) ? 1 : 0;
    }
    EXPECT_GE(refused, 300 - 256);
    expect_service("idle sockets and one greedy address");
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    int still_open = 0;
    for (auto* group : {&idle, &one_peer}) {
      for (auto& c : *group) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (!c->closed_by_peer(std::max(left, 1ms))) ++still_open;
      }
    }
    EXPECT_EQ(still_open, 0) << "idle sockets outlived the read deadline";
  }

  {  // Slowloris: 200 connections each sending a header line every 250 ms.
    auto slow = open_many(port_, 200, 30, 4);
    for (auto& c : slow) c->send(post_head("").substr(0, 30));
    auto t0 = std::chrono::steady_clock::now();
    bool checked = false;
    int open = static_cast<int>(slow.size());
    while (open > 0 && std::chrono::steady_clock::now() - t0 < 6s) {
      open = 0;
      for (auto& c : slow) open += c->send("X-Slow: 1\r\n") ? 1 : 0;
      if (!checked) {
        expect_service("slowloris");
        checked = true;
      }
      std::this_thread::sleep_for(250ms);
    }
    EXPECT_EQ(open, 0) << "slow clients outlived the read deadline";
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  }

  {  // Many concurrent large unsigned bodies from 3 addresses: 60 x 1 MiB declared, half
     // sent and held, then the rest. A quarter of the 64 MiB budget per address: some are
     // answered 503 with Retry-After, none is stored, and GitHub still gets through.
    auto big = open_many(port_, 60, 40, 3);
    const std::string half(512 * 1024, 'x');
    for (auto& c : big) c->send(post_head("X-Hub-Signature-256: sha256=00\r\nContent-Length: 1048576\r\n") + half);
    expect_service("60 large unsigned bodies in flight");
    int busy = 0;
    for (auto& c : big) {
      // A refused one was answered at its header; it gets no more of its body.
      int s = c->status(20ms);
      if (s == 0) {
        c->send(half);
        s = c->status(5s);
      }
      EXPECT_TRUE(s == 401 || s == 503) << s << c->received();
      if (s == 503) {
        ++busy;
        EXPECT_NE(c->received().find("Retry-After:"), std::string::npos);
      }
    }
    EXPECT_GT(busy, 0);
    expect_service("after large unsigned bodies");
  }

  {  // Framing and protocol abuse, one connection each.
    struct Case {
      std::string request;
      std::set<int> allowed;  // 0 = closed without an answer
    };
    const std::string signed_body = job_payload(kForgedJobBase + 1);
    const std::vector<Case> cases = {
        {post_head("Content-Length: 99999999999\r\n"), {413}},
        {post_head("Content-Length: 2097152\r\n"), {413}},
        {post_head("Transfer-Encoding: gzip\r\n") + signed_body, {400}},
        {post_head("Transfer-Encoding: gzip, chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n", {400}},
        {post_head("Transfer-Encoding: chunked, chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n", {400}},
        {post_head("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + "5\r\nhello\r\n0\r\n\r\n", {400}},
        {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {0, 400, 404, 405}},
        {"GET /\r\n", {0, 400}},
        {"GET /healthz HTTP/0.9\r\n\r\n", {0, 400, 505}},
        {post_head("Content-Length: 9\r\nX-Hub-Signature-256: " + webhook::sign(kSecret, "{not json") + "\r\n") +
             "{not json",
         {400}},
        {"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
         "X-GitHub-Event: workflow_job\r\nX-GitHub-Delivery: forged-form\r\nX-Hub-Signature-256: sha256=" +
             std::string(64, '0') + "\r\nContent-Length: 21\r\n\r\npayload=%7B%22a%22%7D",
         {401}},
        {post_head("Content-Length: " + std::to_string(signed_body.size()) + "\r\n") + signed_body, {401}},
        {"BREW /webhook HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, 405}},
        {"DELETE /webhook HTTP/1.1\r\nHost: x\r\n\r\n", {404, 405}},
        {"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
        {"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, 405}},
        {"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", {400, 404, 405}},
        {"GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
        {"GET /%00%ff%2e%2e HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}},
        {"GET /" + std::string(15000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", {404, 431}},
        {"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n", {431}},
    };
    for (const auto& c : cases) {
      PeerConnection conn(port_, "127.0.0.50");
      conn.send(c.request);
      int s = conn.status(3s);
      EXPECT_TRUE(c.allowed.contains(s)) << s << " for " << c.request.substr(0, 80) << "\n" << conn.received();
    }
    // Pipelining: 100 requests in one write, 100 answers in order.
    PeerConnection pipe(port_, "127.0.0.51");
    std::string batch;
    for (int i = 0; i < 100; ++i) batch += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    auto stop_at = std::chrono::steady_clock::now() + 5s;
    pipe.send(batch);
    std::size_t answers = 0;
    while (std::chrono::steady_clock::now() < stop_at) {
      pipe.closed_by_peer(100ms);
      answers = 0;
      for (auto at = pipe.received().find("HTTP/1.1 200"); at != std::string::npos;
           at = pipe.received().find("HTTP/1.1 200", at + 1)) {
        ++answers;
      }
      if (answers == 100) break;
    }
    EXPECT_EQ(answers, 100u);
    expect_service("after framing and protocol abuse");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - suite_start, 45s);
  std::cout << "[ attack   ] peak daemon RSS " << peak_rss_kb_ / 1024 << " MiB, " << acknowledged_.size()
            << " signed deliveries acknowledged\n";

  auto jobs = testing::http_request(port_, "GET", "/api/v1/jobs?limit=1000");
  ASSERT_EQ(jobs.status, 200);
  for (std::int64_t id : acknowledged_) {
    EXPECT_NE(jobs.body.find("\"job_id\":" + std::to_string(id) + ","), std::string::npos) << id;
  }
  EXPECT_EQ(jobs.body.find("\"job_id\":" + std::to_string(kForgedJobBase)), std::string::npos) << jobs.body;
  daemon_->signal(SIGTERM);
  auto code = daemon_->wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST_F(AttackTest, ReadyzFailsWhileTheStoreCannotWrite) {
  port_ = start();
  ASSERT_NE(port_, 0);
  EXPECT_EQ(testing::http_request(port_, "GET", "/readyz").status, 200);
  // Another connection holds SQLite's write lock: reads still work (WAL), writes wait
  // for the busy timeout and fail.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "state" / "ghscale.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::this_thread::sleep_for(1100ms);  // past the probe's once-a-second memo
  auto blocked = testing::http_request(port_, "GET", "/readyz");
  EXPECT_EQ(blocked.status, 503) << blocked.body;
  EXPECT_EQ(testing::http_request(port_, "GET", "/healthz").status, 200);  // alive, not ready
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(testing::http_request(port_, "GET", "/readyz").status, 200);
  daemon_->signal(SIGTERM);
  EXPECT_TRUE(daemon_->wait(10s).has_value());
}

}  // namespace
}  // namespace ghscale
