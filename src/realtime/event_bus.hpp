#pragma once
// Internal events (device_status, task_update, ...). Services publish after their transaction
// commits; the realtime hub and tests subscribe. The in-process bus serves one instance; a Redis
// one will fan events out to every instance.
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>

namespace karma::realtime {

struct Event {
  std::string type;     // "device_status", ...
  std::string user_id;  // whose clients may see it
  boost::json::object payload;
};

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;

  // Unsubscribes when destroyed.
  class Subscription {
   public:
    Subscription(EventBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    Subscription(Subscription&& other) noexcept : bus_(other.bus_), id_(other.id_) {
      other.bus_ = nullptr;
    }
    Subscription& operator=(Subscription&&) = delete;
    ~Subscription() {
      if (bus_) bus_->unsubscribe(id_);
    }

   private:
    EventBus* bus_;
    std::uint64_t id_;
  };

  virtual ~EventBus() = default;
  // Delivers to every subscriber; handlers run on the publishing thread and must be quick.
  virtual void publish(const Event& event) = 0;
  [[nodiscard]] virtual Subscription subscribe(Handler handler) = 0;

 protected:
  virtual void unsubscribe(std::uint64_t id) = 0;
};

std::unique_ptr<EventBus> make_local_event_bus();

}  // namespace karma::realtime
