// The server's connection bookkeeping on its own: per-peer caps, eviction of the
// connection waiting longest, and the body budget with its per-peer share.
#include "http/connection_table.h"

#include <gtest/gtest.h>

namespace ghscale::http {
namespace {

struct FakeConnection : Connection {
  void begin_shutdown() override {}
  void evict() override { ++evictions; }
  int evictions = 0;
};

TEST(ConnectionTable, CapsConnectionsPerPeer) {
  ConnectionTable t({.max_connections = 100, .max_per_peer = 2});
  auto c = std::make_shared<FakeConnection>();
  EXPECT_EQ(t.admit("10.0.0.1", c).admission, ConnectionTable::Admission::kAdmitted);
  auto second = t.admit("10.0.0.1", c);
  EXPECT_EQ(second.admission, ConnectionTable::Admission::kAdmitted);
  EXPECT_EQ(t.admit("10.0.0.1", c).admission, ConnectionTable::Admission::kPeerFull);
  EXPECT_EQ(t.admit("10.0.0.2", c).admission, ConnectionTable::Admission::kAdmitted);
  t.remove(second.id);
  EXPECT_EQ(t.peer_connections("10.0.0.1"), 1);
  EXPECT_EQ(t.admit("10.0.0.1", c).admission, ConnectionTable::Admission::kAdmitted);
}

TEST(ConnectionTable, FullTableEvictsTheLongestWaitingOnly) {
  ConnectionTable t({.max_connections = 3, .max_per_peer = 10});
  auto a = std::make_shared<FakeConnection>();
  auto b = std::make_shared<FakeConnection>();
  auto c = std::make_shared<FakeConnection>();
  auto ia = t.admit("p", a).id;
  auto ib = t.admit("p", b).id;
  auto ic = t.admit("p", c).id;
  t.set_waiting(ib, true);  // b waits longest
  t.set_waiting(ia, true);
  t.set_waiting(ic, false);
  auto d = std::make_shared<FakeConnection>();
  auto first = t.admit("p", d);
  EXPECT_EQ(first.admission, ConnectionTable::Admission::kAdmitted);
  EXPECT_EQ(first.evicted, b);
  auto second = t.admit("p", d);
  EXPECT_EQ(second.evicted, a);
  // Nobody waits any more (c is busy, d never said it waits): the newcomer is refused.
  EXPECT_EQ(t.admit("p", d).admission, ConnectionTable::Admission::kFull);
  EXPECT_EQ(t.size(), 5);  // the evicted two leave when their sessions end
  t.set_waiting(ib, true);  // an evicted connection is not offered twice
  t.remove(ia);
  t.remove(ib);
  EXPECT_EQ(t.admit("p", d).admission, ConnectionTable::Admission::kFull);
  t.remove(ic);
  EXPECT_EQ(t.admit("p", d).admission, ConnectionTable::Admission::kAdmitted);
}

TEST(ConnectionTable, BodyBudgetIsGlobalWithAPerPeerShare) {
  ConnectionTable t({.max_connections = 10, .max_per_peer = 10, .body_budget = 1000, .peer_body_budget = 600});
  auto c = std::make_shared<FakeConnection>();
  auto a1 = t.admit("a", c).id;
  auto a2 = t.admit("a", c).id;
  auto b1 = t.admit("b", c).id;
  EXPECT_TRUE(t.reserve_body(a1, 500));
  EXPECT_FALSE(t.reserve_body(a2, 200));  // a's share
  EXPECT_TRUE(t.reserve_body(b1, 500));
  EXPECT_FALSE(t.reserve_body(b1, 1));  // the whole budget
  EXPECT_FALSE(t.reserve_body(a2, static_cast<std::size_t>(-1)));  // no wrap-around
  EXPECT_EQ(t.body_bytes(), 1000u);
  t.release_body(a1);
  EXPECT_TRUE(t.reserve_body(a2, 200));
  t.remove(a2);  // removing releases too
  t.remove(b1);
  EXPECT_EQ(t.body_bytes(), 0u);
}

}  // namespace
}  // namespace ghscale::http
