#include "realtime/redis_event_bus.hpp"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/log.hpp"

namespace karma::realtime {

namespace bj = boost::json;

namespace {

constexpr const char* kChannel = "karma:events";

// What a connection needs: redis://[:password@]host[:port][/db].
struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  int db = 0;
};

RedisTarget parse_redis_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "redis")
    throw std::invalid_argument("REDIS_URL must look like redis://[:password@]host[:port][/db]");
  RedisTarget t;
  if (!parsed->host().empty()) t.host = parsed->host();
  if (parsed->has_port()) t.port = parsed->port_number();
  if (parsed->has_password()) t.password = parsed->password();
  const std::string path = parsed->path();
  if (path.size() > 1) t.db = std::stoi(path.substr(1));
  return t;
}

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

Reply command(redisContext* c, const char* format, auto... args) {
  return Reply(static_cast<redisReply*>(redisCommand(c, format, args...)));
}

// A connection ready for commands, or null with `error` set. `reply_timeout` bounds each
// command's wait (the publisher's; the subscriber waits for messages as long as it takes).
Context connect(const RedisTarget& t, std::string& error, bool reply_timeout) {
  const timeval timeout{2, 0};
  Context c(redisConnectWithTimeout(t.host.c_str(), t.port, timeout));
  if (!c || c->err) {
    error = c ? c->errstr : "out of memory";
    return nullptr;
  }
  const auto fails = [&](const Reply& r) {
    if (r && r->type != REDIS_REPLY_ERROR) return false;
    error = r ? std::string(r->str, r->len) : std::string(c->errstr);
    return true;
  };
  if (!t.password.empty() &&
      fails(command(c.get(), "AUTH %b", t.password.data(), t.password.size())))
    return nullptr;
  if (t.db != 0 && fails(command(c.get(), "SELECT %d", t.db))) return nullptr;
  if (reply_timeout && redisSetTimeout(c.get(), timeval{1, 0}) != REDIS_OK) {
    error = c->errstr;
    return nullptr;
  }
  return c;
}

// Delivers to this instance's subscribers at once and to every other instance through one Redis
// channel. Each instance hears everything and keeps what its local subscribers asked for — one
// subscription per instance, whatever the number of topics.
class RedisEventBus final : public EventBus {
 public:
  RedisEventBus(const RedisTarget& target)
      : target_(target),
        local_(make_local_event_bus()),
        origin_(crypto::hex(crypto::random_bytes(8))) {
    std::string error;
    publisher_ = connect(target_, error, true);
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
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string error;
      if (!publisher_) publisher_ = connect(target_, error, true);
      if (publisher_) {
        const Reply r =
            command(publisher_.get(), "PUBLISH %s %b", kChannel, text.data(), text.size());
        if (r && r->type != REDIS_REPLY_ERROR) return;
        error = r ? std::string(r->str, r->len) : std::string(publisher_->errstr);
        publisher_.reset();
      }
      if (attempt == 1)
        log::warn("event not sent to other instances",
                  {{"topic", std::string(topic)}, {"error", error}});
    }
  }

  Subscription subscribe(std::string topic, Handler handler) override {
    return local_->subscribe(std::move(topic), std::move(handler));
  }

 protected:
  void unsubscribe(std::uint64_t) override {}  // subscriptions belong to the local bus

 private:
  void listen() {
    while (true) {
      std::string error;
      Context c = connect(target_, error, false);
      Reply subscribed = c ? command(c.get(), "SUBSCRIBE %s", kChannel) : nullptr;
      if (c && subscribed && subscribed->type != REDIS_REPLY_ERROR) {
        {
          std::lock_guard lock(mutex_);
          if (stopping_) return;
          subscriber_fd_ = c->fd;
        }
        wake_.notify_all();
        receive(c.get());
        std::lock_guard lock(mutex_);
        subscriber_fd_ = -1;
        if (stopping_) return;
        error = c->errstr;
      }
      log::warn("redis subscription lost; retrying", {{"error", error}});
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

  RedisTarget target_;
  std::unique_ptr<EventBus> local_;
  std::string origin_;
  std::mutex publish_mutex_;
  Context publisher_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int subscriber_fd_ = -1;
  std::thread listener_;
};

}  // namespace

std::unique_ptr<EventBus> make_redis_event_bus(const std::string& url) {
  return std::make_unique<RedisEventBus>(parse_redis_url(url));
}

}  // namespace karma::realtime
