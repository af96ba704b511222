#include "agent/tools/agent_tools.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "core/app_error.hpp"
#include "core/json.hpp"
#include "core/unicode.hpp"
#include "core/validation.hpp"
#include "devices/command_json.hpp"

namespace karma::agent {

namespace bj = boost::json;

namespace {

bj::object string_prop(std::string_view description) {
  return {{"type", "string"}, {"description", description}, {"minLength", 1}, {"maxLength", 500}};
}

bj::object enum_prop(std::string_view description, bj::array values) {
  return {{"type", "string"}, {"description", description}, {"enum", std::move(values)}};
}

bj::object schema(bj::object properties, bj::array required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

std::vector<ToolSpec> make_tools() {
  bj::array commands;
  for (const auto c : devices::kCommands) commands.emplace_back(c);
  return {
      {"searchDatabase",
       "Search the user's projects, tasks, devices or avatars by words in their names.",
       schema({{"query", {{"type", "string"}, {"maxLength", 500}}},
               {"type", enum_prop("What to search", {"project", "task", "device", "avatar"})},
               {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50}}}},
              {"type"}),
       true},
      {"assignTask", "Assign one of the user's tasks to an avatar they may use.",
       schema({{"taskId", string_prop("The task")},
               {"avatarId", string_prop("The avatar")},
               {"priority", enum_prop("A new priority", {"p0", "p1", "p2", "p3"})}},
              {"taskId", "avatarId"}),
       true},
      {"controlDevice", "Send a command to one of the user's devices.",
       schema({{"deviceId", string_prop("The device")},
               {"command", enum_prop("The command", std::move(commands))},
               {"params", {{"type", "object"}}}},
              {"deviceId", "command"}),
       true},
      {"analyzePerformance", "How one of the user's avatars performs: tasks, time, earnings.",
       schema({{"avatarId", string_prop("The avatar")},
               {"timeRange", enum_prop("The window", {"day", "week", "month"})}},
              {"avatarId"}),
       true},
      {"openModal", "Open a dialog in the web app.",
       schema({{"modalType", string_prop("Which dialog")}, {"data", {{"type", "object"}}}},
              {"modalType"}),
       false},
      {"navigateTo", "Navigate the web app to a page.",
       schema({{"path", string_prop("The app path, e.g. /devices")}}, {"path"}), false},
      {"showNotification", "Show the user a notification.",
       schema({{"title", string_prop("Title")},
               {"message", string_prop("Text")},
               {"type", enum_prop("Kind", {"info", "success", "warning", "error"})}},
              {"title", "message"}),
       false},
  };
}

std::string_view kind_name(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::object:
      return "object";
    case bj::kind::array:
      return "array";
    case bj::kind::string:
      return "string";
    case bj::kind::bool_:
      return "boolean";
    case bj::kind::null:
      return "null";
    default:
      return "number";
  }
}

bool has_type(const bj::value& v, std::string_view type) {
  if (type == "integer")
    return v.is_int64() || v.is_uint64() ||
           (v.is_double() && std::trunc(v.get_double()) == v.get_double());
  if (type == "number") return v.is_number();
  return kind_name(v) == type;
}

std::string text_arg(const bj::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool matches(std::string_view haystack, const std::string& lowered_query) {
  return lowered_query.empty() || unicode_lower(haystack).find(lowered_query) != std::string::npos;
}

}  // namespace

const std::vector<ToolSpec>& builtin_tools() {
  static const std::vector<ToolSpec> tools = make_tools();
  return tools;
}

const ToolSpec* find_builtin(std::string_view name) {
  for (const auto& t : builtin_tools())
    if (t.name == name) return &t;
  return nullptr;
}

std::optional<std::string> schema_violation(const bj::object& schema, const bj::value& args) {
  if (const auto* type = schema.if_contains("type"); type && type->is_string())
    if (!has_type(args, type->get_string()))
      return "must be " + std::string(type->get_string()) + ", not " + std::string(kind_name(args));
  if (const auto* values = schema.if_contains("enum"); values && values->is_array()) {
    const auto& list = values->get_array();
    if (std::find(list.begin(), list.end(), args) == list.end()) return "is not one of its values";
  }
  if (args.is_string()) {
    const auto length = static_cast<std::int64_t>(utf8_length(args.get_string()));
    if (const auto* min = schema.if_contains("minLength");
        min && length < min->to_number<std::int64_t>())
      return "is too short";
    if (const auto* max = schema.if_contains("maxLength");
        max && length > max->to_number<std::int64_t>())
      return "is too long";
  }
  if (args.is_number()) {
    const double n = args.to_number<double>();
    if (const auto* min = schema.if_contains("minimum"); min && n < min->to_number<double>())
      return "is below the minimum";
    if (const auto* max = schema.if_contains("maximum"); max && n > max->to_number<double>())
      return "is above the maximum";
  }
  if (const auto* object = args.if_object()) {
    const auto* properties = schema.if_contains("properties");
    if (const auto* required = schema.if_contains("required"); required && required->is_array())
      for (const auto& key : required->get_array())
        if (key.is_string() && !object->contains(key.get_string()))
          return "'" + std::string(key.get_string()) + "' is required";
    for (const auto& member : *object) {
      const bj::value* property = properties && properties->is_object()
                                      ? properties->get_object().if_contains(member.key())
                                      : nullptr;
      if (!property) {
        if (const auto* extra = schema.if_contains("additionalProperties");
            extra && extra->is_bool() && !extra->get_bool())
          return "'" + std::string(member.key()) + "' is not an argument";
        continue;
      }
      if (property->is_object())
        if (auto why = schema_violation(property->get_object(), member.value()))
          return "'" + std::string(member.key()) + "' " + *why;
    }
  }
  return std::nullopt;
}

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
  const std::string type = text_arg(args, "type");
  const std::string query = unicode_lower(text_arg(args, "query"));
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
      if (matches(d.name, query) || matches(d.model, query) || matches(d.status, query))
        add({{"id", d.id}, {"name", d.name}, {"model", d.model}, {"status", d.status}});
  } else if (type == "avatar") {
    for (const auto& a : avatars_.list(caller))
      if (matches(a.record.name, query) || matches(a.record.role, query))
        add({{"id", a.record.id},
             {"name", a.record.name},
             {"role", a.record.role},
             {"status", a.record.status}});
  } else {
    for (const auto& p : projects_.list(caller, std::nullopt)) {
      if (type == "project") {
        if (matches(p.project.name, query) || matches(p.project.description, query))
          add({{"id", p.project.id},
               {"name", p.project.name},
               {"status", p.project.status},
               {"progress", p.progress()}});
        continue;
      }
      for (const auto& t : p.tasks)
        if (matches(t.task.title, query) || matches(t.task.description, query))
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
      const std::string command = text_arg(args, "command");
      if (command != "reboot" && command != "shutdown" && command != "update_firmware")
        return std::nullopt;
      const auto device = devices_.get(caller, text_arg(args, "deviceId"));
      return "Send " + command + " to " + device.name + "?";
    }
    if (name == "assignTask") {
      const auto task = find_task(caller, text_arg(args, "taskId"));
      if (!task) return std::nullopt;
      const std::string priority =
          args.contains("priority") ? text_arg(args, "priority") : task->task.priority;
      if (priority != "p0") return std::nullopt;
      return "Assign the p0 task \"" + task->task.title + "\"?";
    }
  } catch (const AppError&) {
    // Nothing to approve: running it answers the error.
  }
  return std::nullopt;
}

ToolResult BackendTools::assign(const Caller& caller, const bj::object& args) {
  const std::string task_id = text_arg(args, "taskId");
  const std::string avatar_id = text_arg(args, "avatarId");
  std::optional<std::string> priority;
  if (args.contains("priority")) priority = text_arg(args, "priority");
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
  command.command = text_arg(args, "command");
  if (const auto* params = args.if_contains("params"); params && params->is_object())
    command.params = params->get_object();
  const auto queued = commands_.create(caller, text_arg(args, "deviceId"), command);
  return {devices::command_json(queued), true};
}

ToolResult BackendTools::analyze(const Caller& caller, const bj::object& args) {
  const std::string range = args.contains("timeRange") ? text_arg(args, "timeRange") : "week";
  const auto view = avatars_.get(caller, text_arg(args, "avatarId"));
  if (view.record.created_by != caller.user_id) throw AppError::not_found("Avatar");
  const auto& s = view.stats;
  const std::int64_t cents = range == "day"     ? s.today_cents
                             : range == "month" ? s.month_cents
                                                : s.week_cents;
  const double success = s.total_tasks == 0
                             ? 0.0
                             : std::round(10000.0 * static_cast<double>(s.completed_tasks) /
                                          static_cast<double>(s.total_tasks)) /
                                   100.0;
  return {bj::object{{"avatarId", view.record.id},
                     {"name", view.record.name},
                     {"timeRange", range},
                     {"totalTasks", s.total_tasks},
                     {"completedTasks", s.completed_tasks},
                     {"successRate", success},
                     {"averageTimeHours", std::round(s.average_work_ms / 36'000.0) / 100.0},
                     {"earnings", static_cast<double>(cents) / 100.0},
                     {"totalEarnings", static_cast<double>(s.total_cents) / 100.0}},
          false};
}

}  // namespace karma::agent
