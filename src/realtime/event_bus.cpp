#include "realtime/event_bus.hpp"

#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace karma::realtime {

namespace topics {

std::string user(std::string_view user_id) {
  return "user:" + std::string(user_id);
}

std::string device(std::string_view device_id) {
  return "device:" + std::string(device_id);
}

}  // namespace topics

Event notification(std::string user_id, std::string_view title, std::string_view message,
                   std::string_view type) {
  boost::json::object payload{{"id", crypto::uuid_v4()},
                              {"title", title},
                              {"message", message},
                              {"type", type},
                              {"createdAt", iso8601(now_ms())}};
  return {"notification", std::move(user_id), std::move(payload)};
}

namespace {

class LocalEventBus final : public EventBus {
 public:
  void publish(std::string_view topic, Event event) override {
    std::vector<std::shared_ptr<const Handler>> handlers;
    {
      std::lock_guard lock(mutex_);
      const auto it = topics_.find(std::string(topic));
      if (it == topics_.end()) return;
      handlers.reserve(it->second.size());
      for (const auto& [id, handler] : it->second) handlers.push_back(handler);
    }
    const SharedEvent shared = std::make_shared<const Event>(std::move(event));
    for (const auto& handler : handlers) {
      try {
        (*handler)(shared);
      } catch (const std::exception& e) {
        log::error("event handler failed",
                   {{"topic", std::string(topic)}, {"type", shared->type}, {"error", e.what()}});
      }
    }
  }

  Subscription subscribe(std::string topic, Handler handler) override {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = ++next_id_;
    topics_[topic].emplace(id, std::make_shared<const Handler>(std::move(handler)));
    topic_of_.emplace(id, std::move(topic));
    return Subscription(this, id);
  }

 protected:
  void unsubscribe(std::uint64_t id) override {
    std::lock_guard lock(mutex_);
    const auto topic = topic_of_.find(id);
    if (topic == topic_of_.end()) return;
    const auto subscribers = topics_.find(topic->second);
    subscribers->second.erase(id);
    if (subscribers->second.empty()) topics_.erase(subscribers);
    topic_of_.erase(topic);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::unordered_map<std::uint64_t, std::shared_ptr<const Handler>>>
      topics_;
  std::unordered_map<std::uint64_t, std::string> topic_of_;
  std::uint64_t next_id_ = 0;
};

}  // namespace

std::unique_ptr<EventBus> make_local_event_bus() {
  return std::make_unique<LocalEventBus>();
}

}  // namespace karma::realtime
