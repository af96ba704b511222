#include "agent/tools/agent_tools.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "core/app_error.hpp"
#include "core/json.hpp"
#include "core/unicode.hpp"
#include "devices/command_json.hpp"

namespace karma::agent {

namespace bj = boost::json;

namespace {

bool matches(std::string_view haystack, const std::string& lowered_query) {
  return lowered_query.empty() || unicode_lower(haystack).find(lowered_query) != std::string::npos;
}

}  // namespace

BackendTools::BackendTools(devices::DeviceService& devices, devices::CommandService& commands,
                           projects::ProjectService& projects, avatars::AvatarService& avatars)
    : devices_(devices), commands_(commands), projects_(projects), avatars_(avatars) {}

ToolResult BackendTools::run(const Caller& caller, std::string_view name, const bj::object& args) {
  if (name == "searchDatabase") return search(caller, args);
  if (name == "assignTask") return assign(caller, args);
  if (name == "controlDevice") return control(caller, args);
  if (name == "analyzePerformance") return analyze(caller, args);
  throw AppError::not_found("Tool " + std::string(name));
}

ToolResult BackendTools::search(const Caller& caller, const bj::object& args) {
  const std::string type = json::string_member(args, "type");
  const std::string query = unicode_lower(json::string_member(args, "query"));
  const std::int64_t limit =
      args.contains("limit") ? args.at("limit").to_number<std::int64_t>() : 10;
  bj::array results;
  std::int64_t total = 0;
  const auto add = [&](bj::object item) {
    if (static_cast<std::int64_t>(results.size()) < limit) results.push_back(std::move(item));
    ++total;
  };
  if (type == "device") {
    devices::DeviceList request;
    request.paging.page_size = 100;
    for (const auto& d : devices_.list(caller, request).first)
      if (d.id == query || matches(d.name, query) || matches(d.model, query) ||
          matches(d.status, query))
        add({{"id", d.id}, {"name", d.name}, {"model", d.model}, {"status", d.status}});
  } else if (type == "avatar") {
    for (const auto& a : avatars_.list(caller))
      if (a.record.id == query || matches(a.record.name, query) || matches(a.record.role, query))
        add({{"id", a.record.id},
             {"name", a.record.name},
             {"role", a.record.role},
             {"status", a.record.status}});
  } else {
    for (const auto& p : projects_.list(caller, std::nullopt)) {
      if (type == "project") {
        if (p.project.id == query || matches(p.project.name, query) ||
            matches(p.project.description, query))
          add({{"id", p.project.id},
               {"name", p.project.name},
               {"status", p.project.status},
               {"progress", p.progress()}});
        continue;
      }
      for (const auto& t : p.tasks)
        if (t.task.id == query || matches(t.task.title, query) ||
            matches(t.task.description, query))
          add({{"id", t.task.id},
               {"projectId", p.project.id},
               {"title", t.task.title},
               {"status", t.task.status},
               {"priority", t.task.priority}});
    }
  }
  return {bj::object{{"type", type}, {"results", std::move(results)}, {"total", total}}, false};
}

std::optional<projects::TaskView> BackendTools::find_task(const Caller& caller,
                                                          const std::string& task_id) {
  for (auto& p : projects_.list(caller, std::nullopt))
    for (auto& t : p.tasks)
      if (t.task.id == task_id) return std::move(t);
  return std::nullopt;
}

std::optional<std::string> BackendTools::approval_needed(const Caller& caller,
                                                         std::string_view name,
                                                         const bj::object& args) {
  try {
    if (name == "controlDevice") {
      const std::string command = json::string_member(args, "command");
      if (command != "reboot" && command != "shutdown" && command != "update_firmware")
        return std::nullopt;
      const auto device = devices_.get(caller, json::string_member(args, "deviceId"));
      return "Send " + command + " to " + device.name + "?";
    }
    if (name == "assignTask") {
      const auto task = find_task(caller, json::string_member(args, "taskId"));
      if (!task) return std::nullopt;
      const std::string priority =
          args.contains("priority") ? json::string_member(args, "priority") : task->task.priority;
      if (priority != "p0") return std::nullopt;
      return "Assign the p0 task \"" + task->task.title + "\"?";
    }
  } catch (const AppError&) {
    // Nothing to approve: running it answers the error.
  }
  return std::nullopt;
}

ToolResult BackendTools::assign(const Caller& caller, const bj::object& args) {
  const std::string task_id = json::string_member(args, "taskId");
  const std::string avatar_id = json::string_member(args, "avatarId");
  std::optional<std::string> priority;
  if (args.contains("priority")) priority = json::string_member(args, "priority");
  const auto task = find_task(caller, task_id);
  if (!task) throw AppError::not_found("Task");
  const auto done = projects_.assign(caller, task->task.project_id, task_id, avatar_id, priority);
  return {bj::object{{"taskId", done.task.id},
                     {"projectId", done.task.project_id},
                     {"title", done.task.title},
                     {"status", done.task.status},
                     {"priority", done.task.priority},
                     {"assignee", done.assignee ? bj::value(done.assignee->name) : nullptr}},
          true};
}

ToolResult BackendTools::control(const Caller& caller, const bj::object& args) {
  devices::NewCommand command;
  command.command = json::string_member(args, "command");
  if (const auto* params = args.if_contains("params"); params && params->is_object())
    command.params = params->get_object();
  const auto queued = commands_.create(caller, json::string_member(args, "deviceId"), command);
  return {devices::command_json(queued), true};
}

ToolResult BackendTools::analyze(const Caller& caller, const bj::object& args) {
  const std::string range =
      args.contains("timeRange") ? json::string_member(args, "timeRange") : "week";
  const auto view = avatars_.get(caller, json::string_member(args, "avatarId"));
  if (view.record.created_by != caller.user_id) throw AppError::not_found("Avatar");
  const auto& s = view.stats;
  const std::int64_t cents = range == "day"     ? s.today_cents
                             : range == "month" ? s.month_cents
                                                : s.week_cents;
  return {bj::object{{"avatarId", view.record.id},
                     {"name", view.record.name},
                     {"timeRange", range},
                     {"totalTasks", s.total_tasks},
                     {"completedTasks", s.completed_tasks},
                     {"successRate", s.success_rate()},
                     {"averageTimeHours", s.average_time_hours()},
                     {"earnings", money(cents)},
                     {"totalEarnings", money(s.total_cents)}},
          false};
}

}  // namespace karma::agent
