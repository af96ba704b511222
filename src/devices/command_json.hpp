#pragma once
// Command DTOs ↔ JSON, with the per-command parameter rules.
#include <boost/json/object.hpp>

#include "devices/command_service.hpp"

namespace karma::devices {

// {id, deviceId, command, params, status, result?, error?, createdAt, updatedAt} (epoch ms)
boost::json::object command_json(const CommandRecord& c);
NewCommand parse_new_command(const boost::json::object& body);

}  // namespace karma::devices
