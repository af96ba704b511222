#include "redis/redis_rate_limiter.hpp"

#include <chrono>
#include <mutex>
#include <optional>

#include "core/log.hpp"
#include "redis/redis_client.hpp"

namespace karma::redis {

namespace {

constexpr const char* kPrefix = "karma:limit:";
// One round trip counts the hit and starts the window with the first one (atomic in Redis).
constexpr const char* kHitScript =
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
    "return n";

class RedisRateLimiter final : public RateLimiter {
 public:
  explicit RedisRateLimiter(Target target) : target_(std::move(target)) {}

  int blocked_for(std::string_view key, int limit, int) override {
    const std::string k = kPrefix + std::string(key);
    std::lock_guard lock(mutex_);
    // The count and the time left, in one round trip.
    const auto reply = run([&](redisContext* c) {
      redisAppendCommand(c, "GET %b", k.data(), k.size());
      redisAppendCommand(c, "PTTL %b", k.data(), k.size());
      void* count = nullptr;
      void* left = nullptr;
      if (redisGetReply(c, &count) != REDIS_OK) return Reply();
      Reply counted(static_cast<redisReply*>(count));
      if (redisGetReply(c, &left) != REDIS_OK) return Reply();
      Reply ttl(static_cast<redisReply*>(left));
      if (!counted || counted->type != REDIS_REPLY_STRING || !ttl ||
          ttl->type != REDIS_REPLY_INTEGER || std::stoll(counted->str) < limit || ttl->integer <= 0)
        return Reply(static_cast<redisReply*>(nullptr));
      return ttl;
    });
    if (!reply) return 0;
    return static_cast<int>((reply->integer + 999) / 1000);
  }

  void hit(std::string_view key, int window_seconds) override {
    const std::string k = kPrefix + std::string(key);
    const std::string window_ms = std::to_string(std::int64_t(window_seconds) * 1000);
    std::lock_guard lock(mutex_);
    run([&](redisContext* c) {
      return command(c, "EVAL %s 1 %b %b", kHitScript, k.data(), k.size(), window_ms.data(),
                     window_ms.size());
    });
  }

  void reset(std::string_view key) override {
    const std::string k = kPrefix + std::string(key);
    std::lock_guard lock(mutex_);
    run([&](redisContext* c) { return command(c, "DEL %b", k.data(), k.size()); });
  }

 private:
  // Runs `call` on the connection (connecting first if need be); on failure drops it and fails
  // open. An outage is logged once, and reconnecting is tried at most once a second.
  template <class Call>
  Reply run(Call call) {
    const auto now = std::chrono::steady_clock::now();
    if (!context_) {
      if (now < retry_at_) return nullptr;
      std::string error;
      context_ = connect(target_, error, 500, 500);
      if (!context_) return down(error, now);
    }
    Reply reply = call(context_.get());
    if (context_->err) return down(context_->errstr, now);
    if (reply && reply->type == REDIS_REPLY_ERROR) {
      log::warn("redis rate limiter command failed",
                {{"error", std::string(reply->str, reply->len)}});
      return nullptr;
    }
    if (outage_) {
      log::info("redis rate limiter reconnected: limits count across instances again");
      outage_ = false;
    }
    return reply;
  }

  Reply down(const std::string& error, std::chrono::steady_clock::time_point now) {
    context_.reset();
    retry_at_ = now + std::chrono::seconds(1);
    if (!outage_) {
      log::warn("redis unavailable: rate limits fail open until it returns", {{"error", error}});
      outage_ = true;
    }
    return nullptr;
  }

  const Target target_;
  std::mutex mutex_;
  Context context_;
  std::chrono::steady_clock::time_point retry_at_{};
  bool outage_ = false;
};

}  // namespace

std::unique_ptr<RateLimiter> make_rate_limiter(const std::string& url) {
  return std::make_unique<RedisRateLimiter>(parse_url(url));
}

}  // namespace karma::redis
