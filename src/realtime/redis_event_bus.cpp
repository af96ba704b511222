#include "realtime/redis_event_bus.hpp"

#include <sys/socket.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "redis/redis_client.hpp"

namespace karma::realtime {

namespace bj = boost::json;

namespace {

constexpr const char* kChannel = "karma:events";

using redis::command;
using redis::Context;
using redis::Reply;

// Delivers to this instance's subscribers at once and to every other instance through one Redis
// channel. Each instance hears everything and keeps what its local subscribers asked for — one
// subscription per instance, whatever the number of topics.
class RedisEventBus final : public EventBus {
 public:
  RedisEventBus(const redis::Target& target)
      : target_(target),
        local_(make_local_event_bus()),
        origin_(crypto::hex(crypto::random_bytes(8))) {
    std::string error;
    publisher_ = redis::connect(target_, error, 2000, 1000);
    if (!publisher_) throw std::runtime_error("cannot connect to Redis: " + error);
    listener_ = std::thread([this] { listen(); });
    // Serve only once other instances' events are heard (a retrying listener gives up waiting).
    std::unique_lock lock(mutex_);
    if (!wake_.wait_for(lock, std::chrono::seconds(2), [this] { return subscriber_fd_ >= 0; }))
      log::warn("redis subscription not ready; events of other instances arrive once it is");
  }

  ~RedisEventBus() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      if (subscriber_fd_ >= 0) ::shutdown(subscriber_fd_, SHUT_RDWR);  // wakes the blocked read
    }
    wake_.notify_all();
    listener_.join();
  }

  void publish(std::string_view topic, Event event) override {
    bj::object message{{"origin", origin_},
                       {"topic", topic},
                       {"type", event.type},
                       {"userId", event.user_id},
                       {"payload", event.payload}};
    const std::string text = json::serialize(message);
    local_->publish(topic, std::move(event));
    std::lock_guard lock(publish_mutex_);
    const auto now = std::chrono::steady_clock::now();
    // A connection that broke gets one fresh attempt at once; a Redis that is down gets one
    // attempt per backoff step, and publishers meanwhile deliver locally without waiting.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string error;
      if (!publisher_) {
        if (now < retry_at_) return;
        publisher_ = redis::connect(target_, error, 500, 1000);
        if (!publisher_) return publisher_down(error, now);
      }
      const Reply r =
          command(publisher_.get(), "PUBLISH %s %b", kChannel, text.data(), text.size());
      error = redis::failure(publisher_.get(), r);
      if (error.empty()) return publisher_up();
      publisher_.reset();
      if (attempt == 1) return publisher_down(error, now);
    }
  }

  // Subscribed is what says Redis is there: the listener retries every second, while a
  // publisher in an outage waits for its backoff before it tries again.
  std::optional<bool> shared() const override {
    std::lock_guard lock(mutex_);
    return subscriber_fd_ >= 0;
  }

  Subscription subscribe(std::string topic, Handler handler) override {
    return local_->subscribe(std::move(topic), std::move(handler));
  }

 protected:
  void unsubscribe(std::uint64_t) override {}  // subscriptions belong to the local bus

 private:
  // Redis is lost for publishing: said once per outage; the next attempt after a backoff that
  // doubles up to 5 s.
  void publisher_down(const std::string& error, std::chrono::steady_clock::time_point now) {
    retry_at_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(5000));
    if (!std::exchange(publisher_outage_, true))
      log::warn("redis unavailable: events reach this instance only until it returns",
                {{"error", error}});
  }
  void publisher_up() {
    backoff_ = std::chrono::milliseconds(250);
    if (std::exchange(publisher_outage_, false))
      log::info("redis reachable again: events reach every instance");
  }

  void listen() {
    bool lost = false;  // said once per outage
    while (true) {
      std::string error;
      Context c = redis::connect(target_, error, 2000, 0);
      Reply subscribed = c ? command(c.get(), "SUBSCRIBE %s", kChannel) : nullptr;
      if (c && subscribed && subscribed->type != REDIS_REPLY_ERROR) {
        {
          std::lock_guard lock(mutex_);
          if (stopping_) return;
          subscriber_fd_ = c->fd;
        }
        if (std::exchange(lost, false)) log::info("redis subscription restored");
        wake_.notify_all();
        receive(c.get());
        std::lock_guard lock(mutex_);
        subscriber_fd_ = -1;
        if (stopping_) return;
        error = c->errstr;
      }
      if (!std::exchange(lost, true))
        log::warn("redis subscription lost: other instances' events arrive once it is back",
                  {{"error", error}});
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) return;
    }
  }

  // Until the connection fails: each message from another instance, to local subscribers.
  void receive(redisContext* c) {
    while (true) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) return;
      const Reply reply(static_cast<redisReply*>(raw));
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
          reply->element[2]->type != REDIS_REPLY_STRING)
        continue;
      deliver(std::string_view(reply->element[2]->str, reply->element[2]->len));
    }
  }

  void deliver(std::string_view text) {
    boost::system::error_code ec;
    bj::value message = bj::parse(text, ec);
    if (ec || !message.is_object()) return;
    auto& m = message.get_object();
    if (json::string_member(m, "origin") == origin_)
      return;  // delivered locally when it was published
    auto* payload = m.if_contains("payload");
    Event event{json::string_member(m, "type"), json::string_member(m, "userId"),
                payload && payload->is_object() ? std::move(payload->get_object()) : bj::object{}};
    local_->publish(json::string_member(m, "topic"), std::move(event));
  }

  redis::Target target_;
  std::unique_ptr<EventBus> local_;
  std::string origin_;
  std::mutex publish_mutex_;
  Context publisher_;  // the rest of these three: under publish_mutex_
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{250};
  bool publisher_outage_ = false;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int subscriber_fd_ = -1;
  std::thread listener_;
};

}  // namespace

std::unique_ptr<EventBus> make_redis_event_bus(const std::string& url) {
  return std::make_unique<RedisEventBus>(redis::parse_url(url));
}

}  // namespace karma::realtime
