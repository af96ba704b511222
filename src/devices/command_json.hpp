#pragma once
// Command DTOs ↔ JSON, with the per-command parameter rules.
#include <boost/json/object.hpp>

#include <array>
#include <string_view>

#include "devices/command_service.hpp"
#include "http/openapi.hpp"

namespace karma::devices {

inline constexpr std::array<std::string_view, 7> kCommands{
    "reboot", "shutdown", "update_firmware", "set_config", "run_task", "sync_files", "ping"};
inline constexpr std::array<std::string_view, 6> kCommandStatuses{"queued",    "sent",   "acked",
                                                                  "succeeded", "failed", "expired"};
inline constexpr std::array<std::string_view, 4> kDeviceMessageTypes{"ack", "result", "heartbeat",
                                                                     "ping"};
inline constexpr std::array<std::string_view, 2> kCommandOutcomes{"succeeded", "failed"};

// DeviceCommand and NewCommand.
void add_command_schemas(http::Components& components);

// {id, deviceId, command, params, status, result?, error?, createdAt, updatedAt} (epoch ms)
boost::json::object command_json(const CommandRecord& c);
NewCommand parse_new_command(const boost::json::object& body);

// A message a device sends over the gateway (API.md §2): ping, heartbeat, or the ack / result
// of command `command_id`.
struct DeviceMessage {
  std::string type;  // ping | heartbeat | ack | result
  std::string command_id;
  CommandOutcome outcome;  // result only
};
// The message's type and command fields (a heartbeat's body is parse_heartbeat's).
DeviceMessage parse_device_message(const boost::json::object& message);

}  // namespace karma::devices
