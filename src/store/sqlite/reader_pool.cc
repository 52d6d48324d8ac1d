#include "store/sqlite/reader_pool.h"

#include <utility>

namespace ghscale::store::sqlite {
namespace {

// Idle connections kept beyond this are closed: enough for the threads of one daemon.
constexpr std::size_t kMaxIdle = 16;

}  // namespace

ReaderPool::Borrowed::~Borrowed() {
  if (conn_) pool_->give_back(std::move(conn_));
}

Result<ReaderPool::Borrowed> ReaderPool::borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Borrowed(this, std::move(conn));
    }
  }
  auto conn = Connection::open(path_, Connection::Mode::kReadOnly, busy_timeout_);
  if (!conn) return conn.error();
  if (auto s = (*conn)->exec("PRAGMA cache_size=-8192"); !s) return s.error();
  return Borrowed(this, std::move(*conn));
}

void ReaderPool::give_back(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(conn));
}

void ReaderPool::clear() {
  std::lock_guard lock(mu_);
  idle_.clear();
}

}  // namespace ghscale::store::sqlite
