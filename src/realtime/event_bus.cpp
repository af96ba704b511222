#include "realtime/event_bus.hpp"

#include <map>
#include <mutex>

#include "core/log.hpp"

namespace karma::realtime {
namespace {

class LocalEventBus final : public EventBus {
 public:
  void publish(const Event& event) override {
    std::vector<std::shared_ptr<Handler>> handlers;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, handler] : handlers_) handlers.push_back(handler);
    }
    for (const auto& handler : handlers) {
      try {
        (*handler)(event);
      } catch (const std::exception& e) {
        log::error("event handler failed", {{"type", event.type}, {"error", e.what()}});
      }
    }
  }

  Subscription subscribe(Handler handler) override {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = ++next_id_;
    handlers_.emplace(id, std::make_shared<Handler>(std::move(handler)));
    return Subscription(this, id);
  }

 protected:
  void unsubscribe(std::uint64_t id) override {
    std::lock_guard lock(mutex_);
    handlers_.erase(id);
  }

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, std::shared_ptr<Handler>> handlers_;
  std::uint64_t next_id_ = 0;
};

}  // namespace

std::unique_ptr<EventBus> make_local_event_bus() {
  return std::make_unique<LocalEventBus>();
}

}  // namespace karma::realtime
