// Login throttling across instances: two limiters on one real redis-server count together; a
// limiter whose Redis is gone fails open instead of failing the login.
#include "redis/redis_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/crypto.hpp"

namespace karma::redis {
namespace {

TEST(RedisRateLimiter, InstancesCountTogetherUntilTheWindowOrAReset) {
  const char* url = std::getenv("KARMA_TEST_REDIS_URL");
  if (!url) {
    if (std::getenv("KARMA_REQUIRE_REDIS")) FAIL() << "KARMA_TEST_REDIS_URL not set";
    GTEST_SKIP() << "KARMA_TEST_REDIS_URL not set";
  }
  auto a = make_rate_limiter(url);
  auto b = make_rate_limiter(url);
  const std::string key = "login:" + crypto::uuid_v4();
  for (int i = 0; i < 4; ++i) (i % 2 ? a : b)->hit(key, 60);
  EXPECT_EQ(a->blocked_for(key, 5, 60), 0) << "four of five";
  b->hit(key, 60);
  const int wait = a->blocked_for(key, 5, 60);
  EXPECT_GT(wait, 55);
  EXPECT_LE(wait, 60);
  EXPECT_EQ(b->blocked_for(key, 5, 60), wait);
  a->reset(key);
  EXPECT_EQ(b->blocked_for(key, 5, 60), 0);

  const std::string brief = "brief:" + crypto::uuid_v4();
  a->hit(brief, 1);
  b->hit(brief, 1);
  EXPECT_EQ(a->blocked_for(brief, 2, 1), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(a->blocked_for(brief, 2, 1), 0) << "the window ended";
}

TEST(RedisRateLimiter, WithoutRedisItFailsOpen) {
  auto limiter = make_rate_limiter("redis://127.0.0.1:1");  // nothing listens there
  for (int i = 0; i < 10; ++i) EXPECT_NO_THROW(limiter->hit("k", 60));
  EXPECT_EQ(limiter->blocked_for("k", 1, 60), 0);
  EXPECT_THROW(make_rate_limiter("http://127.0.0.1:6379"), std::invalid_argument);
}

}  // namespace
}  // namespace karma::redis
