// A deliberately plain blocking HTTP/1.1 client over POSIX sockets for tests, so that
// checks of the server do not share code with it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ghscale::testing {

struct HttpReply {
  int status = 0;  // 0 = no answer (connection failed or closed)
  std::string head;
  std::string body;
};

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port, const std::string& host = "127.0.0.1");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Reads one response (Content-Length framed); status 0 when the peer closed first.
  HttpReply read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the peer has closed the connection within the timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string pending_;
};

HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       const std::string& body = {});

}  // namespace ghscale::testing
