// The in-process event bus: topics, one shared event per publish, subscriptions that end.
#include "realtime/event_bus.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <vector>

namespace karma::realtime {
namespace {

Event device_status(const std::string& user) {
  return {"device_status", user, {{"status", "online"}}};
}

TEST(EventBus, DeliversOnlyToTheTopicsSubscribers) {
  auto bus = make_local_event_bus();
  std::vector<std::string> got;
  auto ann = bus->subscribe(topics::user("ann"),
                            [&](const SharedEvent& e) { got.push_back("ann:" + e->user_id); });
  auto bob = bus->subscribe(topics::user("bob"),
                            [&](const SharedEvent& e) { got.push_back("bob:" + e->user_id); });
  bus->publish(topics::user("ann"), device_status("ann"));
  bus->publish(topics::device("d1"), device_status("ann"));  // nobody listens there
  bus->publish(topics::user("bob"), device_status("bob"));
  EXPECT_EQ(got, (std::vector<std::string>{"ann:ann", "bob:bob"}));
  EXPECT_EQ(topics::user("u1"), "user:u1");
  EXPECT_EQ(topics::device("d1"), "device:d1");
}

// 10 000 subscribers of one topic share one event object; another topic reaches none of them.
TEST(EventBus, ManySubscribersShareOneEvent) {
  auto bus = make_local_event_bus();
  constexpr int kSubscribers = 10'000;
  std::set<const Event*> seen;
  int deliveries = 0;
  std::vector<EventBus::Subscription> subscriptions;
  subscriptions.reserve(kSubscribers);
  for (int i = 0; i < kSubscribers; ++i) {
    subscriptions.push_back(bus->subscribe(topics::device("busy"), [&](const SharedEvent& e) {
      seen.insert(e.get());
      ++deliveries;
    }));
  }
  bus->publish(topics::device("quiet"), {"device_command", "u", {}});
  EXPECT_EQ(deliveries, 0);
  bus->publish(topics::device("busy"), {"device_command", "u", {{"commandId", "c1"}}});
  EXPECT_EQ(deliveries, kSubscribers);
  EXPECT_EQ(seen.size(), 1u) << "one buffer per published event";
}

TEST(EventBus, SubscriptionsEndWhenDestroyedResetOrMovedFrom) {
  auto bus = make_local_event_bus();
  std::atomic<int> deliveries{0};
  auto count = [&](const SharedEvent&) { ++deliveries; };
  EventBus::Subscription kept = bus->subscribe("t", count);
  {
    auto scoped = bus->subscribe("t", count);
    bus->publish("t", device_status("u"));
    EXPECT_EQ(deliveries, 2);
  }
  bus->publish("t", device_status("u"));
  EXPECT_EQ(deliveries, 3);
  EventBus::Subscription moved = std::move(kept);
  bus->publish("t", device_status("u"));
  EXPECT_EQ(deliveries, 4) << "moving keeps one subscription";
  moved.reset();
  bus->publish("t", device_status("u"));
  EXPECT_EQ(deliveries, 4);
  // The topic can be subscribed again after its last subscriber left.
  auto again = bus->subscribe("t", count);
  bus->publish("t", device_status("u"));
  EXPECT_EQ(deliveries, 5);
}

TEST(EventBus, AThrowingHandlerDoesNotStopTheOthers) {
  auto bus = make_local_event_bus();
  int delivered = 0;
  auto thrower = bus->subscribe("t", [](const SharedEvent&) { throw std::runtime_error("boom"); });
  auto counter = bus->subscribe("t", [&](const SharedEvent&) { ++delivered; });
  bus->publish("t", device_status("u"));
  EXPECT_EQ(delivered, 1);
}

}  // namespace
}  // namespace karma::realtime
