// A raw client socket for attack-shaped tests: it may connect from a chosen loopback
// address (all of 127.0.0.0/8 is loopback on Linux, so one process can be several
// peers), sends bytes as given and reads whatever comes back, with no HTTP framing of
// its own (a HEAD answer or a refusal must be seen exactly as sent).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace ghscale::testing {

class PeerConnection {
 public:
  PeerConnection(std::uint16_t port, const std::string& source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~PeerConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  // False when the peer closed or reset the connection before everything was sent.
  bool send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Everything received until `quiet` passes without a byte, the peer closes, or
  // `limit` passes.
  std::string receive(std::chrono::milliseconds quiet, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
      char buf[16384];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  // The status of the first answer received within `limit` (0 when none came).
  int status(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (received_.find("\r\n\r\n") == std::string::npos && !closed_ && read_once(deadline)) {
    }
    if (received_.size() < 12 || received_.compare(0, 5, "HTTP/") != 0) return 0;
    return std::atoi(received_.c_str() + 9);
  }
  const std::string& received() const { return received_; }

  // True when the peer closed (or reset) the connection within `limit`; data still
  // arriving is read and kept.
  bool closed_by_peer(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!closed_ && read_once(deadline)) {
    }
    return closed_;
  }

 private:
  // One read of whatever is there before `deadline`; false when nothing came.
  bool read_once(std::chrono::steady_clock::time_point deadline) {
    // Polls at least once, however close the deadline: what has arrived is seen.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) <= 0) return false;
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

}  // namespace ghscale::testing
