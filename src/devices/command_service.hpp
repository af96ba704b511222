#pragma once
// Commands for devices: owners queue them over REST; the device gateway delivers them and
// records acks and results. A new command is announced on the event bus as `device_command`,
// so whichever instance holds the device's connection delivers it.
#include <optional>
#include <string>
#include <vector>

#include "core/caller.hpp"
#include "core/validation.hpp"
#include "db/database.hpp"
#include "devices/command_store.hpp"
#include "devices/device_store.hpp"
#include "realtime/event_bus.hpp"

namespace karma::devices {

struct NewCommand {
  std::string command;
  boost::json::object params;
  std::int64_t timeout_ms = 300'000;
};

struct CommandOutcome {
  std::string status;  // succeeded | failed
  std::optional<boost::json::value> result;
  std::optional<std::string> error;
};

class CommandService {
 public:
  CommandService(db::Database& db, realtime::EventBus& bus);

  CommandRecord create(const Caller& caller, const std::string& device_id, const NewCommand& in);
  std::pair<std::vector<CommandRecord>, std::int64_t> list(const Caller& caller,
                                                           const std::string& device_id,
                                                           const Paging& paging);
  CommandRecord get(const Caller& caller, const std::string& device_id, const std::string& id);

  // Device side (the gateway): commands to deliver now, marked sent. On connect (`resend`)
  // also what was sent and never acknowledged: delivery is at least once, the device drops a
  // command id it has seen.
  std::vector<CommandRecord> take_queued(const std::string& device_id, bool resend = false);
  // False when the command is unknown to this device or not in a state that allows it.
  bool acknowledge(const std::string& device_id, const std::string& id);
  bool finish(const std::string& device_id, const std::string& id, const CommandOutcome& outcome);

  std::int64_t expire_overdue();

 private:
  void require_device(db::Connection& c, const Caller& caller, const std::string& device_id);

  db::Database& db_;
  realtime::EventBus& bus_;
  CommandStore store_;
  DeviceStore devices_;
};

}  // namespace karma::devices
