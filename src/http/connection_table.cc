#include "http/connection_table.h"

namespace ghscale::http {

ConnectionTable::Admitted ConnectionTable::admit(const std::string& peer, std::weak_ptr<Connection> connection) {
  Admitted out;
  std::lock_guard lock(mu_);
  auto peer_it = peers_.find(peer);
  if (peer_it != peers_.end() && peer_it->second.connections >= limits_.max_per_peer) {
    out.admission = Admission::kPeerFull;
    return out;
  }
  const int counted = static_cast<int>(entries_.size()) - evicting_;
  if (counted >= limits_.max_connections) {
    // A connection that sends nothing costs the same as one that sends slowly; the one
    // idle longest is the least likely to matter, and the newcomer may be GitHub.
    while (!waiting_.empty()) {
      Entry& victim = entries_.at(waiting_.front());
      stop_waiting(victim);
      victim.evicted = true;
      ++evicting_;
      out.evicted = victim.connection.lock();
      if (out.evicted) break;
    }
    if (!out.evicted) {
      out.admission = Admission::kFull;
      return out;
    }
  }
  out.id = next_id_++;
  Entry& e = entries_[out.id];
  e.connection = std::move(connection);
  e.peer = peer;
  ++peers_[peer].connections;
  return out;
}

void ConnectionTable::remove(Id id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  stop_waiting(e);
  if (e.evicted) --evicting_;
  body_bytes_ -= e.body_bytes;
  auto peer_it = peers_.find(e.peer);
  peer_it->second.body_bytes -= e.body_bytes;
  if (--peer_it->second.connections == 0) peers_.erase(peer_it);
  entries_.erase(it);
  if (entries_.empty()) empty_cv_.notify_all();
}

void ConnectionTable::set_waiting(Id id, bool waiting) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (!waiting) {
    stop_waiting(e);
  } else if (!e.waiting && !e.evicted) {
    e.waiting = true;
    e.waiting_at = waiting_.insert(waiting_.end(), id);
  }
}

void ConnectionTable::stop_waiting(Entry& e) {
  if (!e.waiting) return;
  waiting_.erase(e.waiting_at);
  e.waiting = false;
}

bool ConnectionTable::reserve_body(Id id, std::size_t bytes) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  Entry& e = it->second;
  Peer& p = peers_.at(e.peer);
  // Written as subtractions so that a huge `bytes` cannot wrap around.
  if (bytes > limits_.body_budget - body_bytes_ || bytes > limits_.peer_body_budget - p.body_bytes) return false;
  body_bytes_ += bytes;
  p.body_bytes += bytes;
  e.body_bytes += bytes;
  return true;
}

void ConnectionTable::release_body(Id id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  body_bytes_ -= e.body_bytes;
  peers_.at(e.peer).body_bytes -= e.body_bytes;
  e.body_bytes = 0;
}

int ConnectionTable::size() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(entries_.size());
}

int ConnectionTable::peer_connections(const std::string& peer) const {
  std::lock_guard lock(mu_);
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.connections;
}

std::size_t ConnectionTable::body_bytes() const {
  std::lock_guard lock(mu_);
  return body_bytes_;
}

std::vector<std::shared_ptr<Connection>> ConnectionTable::live() const {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard lock(mu_);
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) {
    if (auto c = e.connection.lock()) out.push_back(std::move(c));
  }
  return out;
}

bool ConnectionTable::wait_empty(Duration timeout) {
  std::unique_lock lock(mu_);
  return empty_cv_.wait_for(lock, timeout, [this] { return entries_.empty(); });
}

}  // namespace ghscale::http
