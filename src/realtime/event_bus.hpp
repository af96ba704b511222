#pragma once
// Internal events (device_status, task_update, ...) on topics. Services publish after their
// transaction commits; the realtime hub, the device gateway and tests subscribe to the topics
// they serve, so nobody filters every event of the system and a Redis-backed bus can subscribe
// narrowly. The in-process bus serves one instance; a Redis one will fan events out to every
// instance.
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace karma::realtime {

struct Event {
  std::string type;     // "device_status", ...
  std::string user_id;  // whose clients may see it
  boost::json::object payload;
};

// A published event: built once, shared by every subscriber that keeps it (write queues).
using SharedEvent = std::shared_ptr<const Event>;

namespace topics {
// Everything a user's clients may see about their account, devices, projects …
std::string user(std::string_view user_id);
// What concerns one device: commands for it to deliver.
std::string device(std::string_view device_id);
}  // namespace topics

// A run's contract event (API.md §7) plus threadId and runId, on the user's topic whatever
// transport runs it: the hub passes it to the sessions subscribed to `thread:<threadId>`.
inline constexpr std::string_view kChatResponse = "chat_response";

// Internal: the user's credentials changed; their realtime sessions end (never forwarded).
inline constexpr std::string_view kSessionRevoked = "session_revoked";

// A notification for the user's sessions (API.md §8): {id, title, message, type, createdAt}.
Event notification(std::string user_id, std::string_view title, std::string_view message,
                   std::string_view type);  // info | success | warning | error

class EventBus {
 public:
  using Handler = std::function<void(const SharedEvent&)>;

  // Unsubscribes when destroyed.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(EventBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    Subscription(Subscription&& other) noexcept : bus_(other.bus_), id_(other.id_) {
      other.bus_ = nullptr;
    }
    Subscription& operator=(Subscription&& other) noexcept {
      if (this != &other) {
        reset();
        bus_ = other.bus_;
        id_ = other.id_;
        other.bus_ = nullptr;
      }
      return *this;
    }
    ~Subscription() { reset(); }
    void reset() {
      if (bus_) bus_->unsubscribe(id_);
      bus_ = nullptr;
    }

   private:
    EventBus* bus_ = nullptr;
    std::uint64_t id_ = 0;
  };

  virtual ~EventBus() = default;
  // Delivers to the topic's subscribers; handlers run on the publishing thread and must be
  // quick (queue the event, do not send it).
  virtual void publish(std::string_view topic, Event event) = 0;
  [[nodiscard]] virtual Subscription subscribe(std::string topic, Handler handler) = 0;
  // Whether events reach the other instances now: nullopt when there are none to reach (no
  // Redis configured), false while Redis is lost (local delivery goes on).
  virtual std::optional<bool> shared() const { return std::nullopt; }

 protected:
  virtual void unsubscribe(std::uint64_t id) = 0;
};

std::unique_ptr<EventBus> make_local_event_bus();

}  // namespace karma::realtime
