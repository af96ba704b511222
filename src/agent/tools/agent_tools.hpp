#pragma once
// The agent's backend tools (API.md §7): they run here, with the caller's permissions, through
// the same services as the REST routes. Their specs and schemas are in tool_spec.hpp.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/tools/tool_spec.hpp"
#include "avatars/avatar_service.hpp"
#include "core/caller.hpp"
#include "devices/command_service.hpp"
#include "devices/device_service.hpp"
#include "projects/project_service.hpp"

namespace karma::agent {

// What a backend tool answered: its result as JSON, and whether it changed what the shared
// state shows.
struct ToolResult {
  boost::json::value content;
  bool changed = false;
};

class BackendTools {
 public:
  BackendTools(devices::DeviceService& devices, devices::CommandService& commands,
               projects::ProjectService& projects, avatars::AvatarService& avatars);

  // What to ask the user before backend tool `name` runs with `args` — destructive device
  // commands, p0 assignments — or nothing when it may run at once.
  std::optional<std::string> approval_needed(const Caller& caller, std::string_view name,
                                             const boost::json::object& args);
  // Runs backend tool `name`; AppError (not found, forbidden, invalid) when it cannot.
  ToolResult run(const Caller& caller, std::string_view name, const boost::json::object& args);

 private:
  // The caller's task `task_id` and its project, when there is one.
  std::optional<projects::TaskView> find_task(const Caller& caller, const std::string& task_id);
  ToolResult search(const Caller& caller, const boost::json::object& args);
  ToolResult assign(const Caller& caller, const boost::json::object& args);
  ToolResult control(const Caller& caller, const boost::json::object& args);
  ToolResult analyze(const Caller& caller, const boost::json::object& args);

  devices::DeviceService& devices_;
  devices::CommandService& commands_;
  projects::ProjectService& projects_;
  avatars::AvatarService& avatars_;
};

}  // namespace karma::agent
