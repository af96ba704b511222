#include "agent/tools/tool_spec.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

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

bool has_type(const bj::value& v, std::string_view type) {
  if (type == "integer")
    return v.is_int64() || v.is_uint64() ||
           (v.is_double() && std::trunc(v.get_double()) == v.get_double());
  if (type == "number") return v.is_number();
  return json_kind(v) == type;
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
      return "must be " + std::string(type->get_string()) + ", not " + std::string(json_kind(args));
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

}  // namespace karma::agent
