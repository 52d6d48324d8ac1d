// The server's bookkeeping of its connections, kept apart from sockets so it can be tested
// alone: how many each remote address holds, which ones wait for a request (longest first,
// so a full server evicts those rather than refusing a newcomer), and how many bytes of
// request bodies are held across all connections (a global budget and a per-peer share).
// Internal to the http library. Thread-safe: one mutex, taken a few times per request and
// never per byte.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"

namespace ghscale::http {

// What the table needs of a connection to close it.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes at once between requests; a request in flight is finished first.
  virtual void begin_shutdown() = 0;
  // Closes at once if the connection still waits for a request; otherwise does nothing.
  virtual void evict() = 0;
};

struct ConnectionLimits {
  int max_connections = 10000;
  int max_per_peer = 256;
  std::size_t body_budget = 64 * 1024 * 1024;       // all connections together
  std::size_t peer_body_budget = 16 * 1024 * 1024;  // one remote address
};

class ConnectionTable {
 public:
  using Id = std::uint64_t;
  enum class Admission { kAdmitted, kPeerFull, kFull };
  struct Admitted {
    Admission admission = Admission::kAdmitted;
    Id id = 0;  // valid when admitted
    // When the table was full: the connection that waited longest for a request, taken
    // out of the waiting list. The caller calls evict() on it, outside any lock.
    std::shared_ptr<Connection> evicted;
  };

  explicit ConnectionTable(ConnectionLimits limits) : limits_(limits) {}

  Admitted admit(const std::string& peer, std::weak_ptr<Connection> connection);
  // Forgets the connection and releases whatever body bytes it still held.
  void remove(Id id);
  // Waiting = no request in progress (a new connection, or keep-alive between requests).
  // Only waiting connections may be evicted.
  void set_waiting(Id id, bool waiting);

  // Reserves `bytes` of body for the connection's current request; false (and nothing
  // reserved) when that would exceed the global budget or the peer's share.
  bool reserve_body(Id id, std::size_t bytes);
  // Releases every body byte the connection holds (its request was answered).
  void release_body(Id id);

  int size() const;
  int peer_connections(const std::string& peer) const;
  std::size_t body_bytes() const;
  std::vector<std::shared_ptr<Connection>> live() const;
  // Waits until no connection is left or `timeout` passed; true when none is left.
  bool wait_empty(Duration timeout);

 private:
  struct Entry {
    std::weak_ptr<Connection> connection;
    std::string peer;
    std::size_t body_bytes = 0;
    bool waiting = false;
    bool evicted = false;  // no longer counted against max_connections
    std::list<Id>::iterator waiting_at;
  };
  struct Peer {
    int connections = 0;
    std::size_t body_bytes = 0;
  };

  void stop_waiting(Entry& e);  // requires mu_

  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable empty_cv_;
  Id next_id_ = 1;                              // guarded by mu_
  std::unordered_map<Id, Entry> entries_;       // guarded by mu_
  std::unordered_map<std::string, Peer> peers_;  // guarded by mu_
  std::list<Id> waiting_;                       // guarded by mu_; longest waiting first
  int evicting_ = 0;                            // guarded by mu_; evicted, not yet removed
  std::size_t body_bytes_ = 0;                  // guarded by mu_
};

}  // namespace ghscale::http
