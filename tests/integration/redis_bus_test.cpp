// The Redis event bus (REDIS_URL) against a real redis-server (KARMA_TEST_REDIS_URL, started by
// ./scripts/test): events reach the subscribers of every instance, once.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "realtime/redis_event_bus.hpp"

namespace karma::realtime {
namespace {

std::string redis_url() {
  const char* url = std::getenv("KARMA_TEST_REDIS_URL");
  return url ? url : "";
}

// What one subscriber received.
class Inbox {
 public:
  EventBus::Handler handler() {
    return [this](const SharedEvent& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
      arrived_.notify_all();
    };
  }
  // Waits up to `patience` for `n` events; the events received by then.
  std::vector<SharedEvent> wait_for(std::size_t n,
                                    std::chrono::milliseconds patience = std::chrono::seconds(3)) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, patience, [&] { return events_.size() >= n; });
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<SharedEvent> events_;
};

class RedisBus : public ::testing::Test {
 protected:
  void SetUp() override {
    if (redis_url().empty()) {
      if (const char* required = std::getenv("KARMA_REQUIRE_REDIS"); required && *required == '1')
        FAIL() << "KARMA_REQUIRE_REDIS=1 but KARMA_TEST_REDIS_URL is not set";
      GTEST_SKIP() << "KARMA_TEST_REDIS_URL not set";
    }
  }
};

TEST_F(RedisBus, EventsReachEveryInstanceOnce) {
  auto a = make_redis_event_bus(redis_url());
  auto b = make_redis_event_bus(redis_url());
  Inbox on_a, on_b, elsewhere;
  const auto sub_a = a->subscribe(topics::user("u1"), on_a.handler());
  const auto sub_b = b->subscribe(topics::user("u1"), on_b.handler());
  const auto sub_other = b->subscribe(topics::user("u2"), elsewhere.handler());

  a->publish(topics::user("u1"), {"device_status", "u1", {{"status", "online"}, {"n", 1}}});
  const auto got = on_b.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->type, "device_status");
  EXPECT_EQ(got[0]->user_id, "u1");
  EXPECT_EQ(got[0]->payload.at("status"), "online");
  EXPECT_EQ(got[0]->payload.at("n"), 1);
  // The publisher's own subscribers got it at once and do not get Redis' echo as well.
  b->publish(topics::user("u1"), {"task_update", "u1", {}});
  ASSERT_EQ(on_a.wait_for(2).size(), 2u);
  const auto settle = std::chrono::milliseconds(300);
  EXPECT_EQ(on_a.wait_for(3, settle).size(), 2u);
  EXPECT_EQ(on_b.wait_for(3, settle).size(), 2u);
  EXPECT_TRUE(elsewhere.wait_for(1, settle).empty()) << "other topics hear nothing";
}

TEST_F(RedisBus, AnUnreachableRedisFailsAtStartAndABadUrlIsRefused) {
  EXPECT_THROW(make_redis_event_bus("redis://127.0.0.1:1"), std::runtime_error);
  EXPECT_THROW(make_redis_event_bus("http://127.0.0.1:6379"), std::invalid_argument);
}

}  // namespace
}  // namespace karma::realtime
