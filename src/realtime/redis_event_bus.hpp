#pragma once
// The event bus of several instances: events reach the subscribers of every instance through
// Redis pub/sub (REDIS_URL). Publishing never fails a request: an event Redis cannot take is
// logged and still delivered on this instance; a lost subscription reconnects.
#include <memory>
#include <string>

#include "realtime/event_bus.hpp"

namespace karma::realtime {

// `url`: redis://[:password@]host[:port][/db]. Throws when Redis cannot be reached at start.
std::unique_ptr<EventBus> make_redis_event_bus(const std::string& url);

}  // namespace karma::realtime
