#include "devices/command_json.hpp"

#include "core/crypto.hpp"
#include "core/validation.hpp"

namespace karma::devices {

namespace bj = boost::json;

bj::object command_json(const CommandRecord& c) {
  bj::object o{{"id", c.id},
               {"deviceId", c.device_id},
               {"command", c.command},
               {"params", c.params},
               {"status", c.status},
               {"timeoutMs", c.timeout_ms},
               {"expiresAt", c.expires_at},
               {"createdAt", c.created_at},
               {"updatedAt", c.updated_at}};
  if (c.result) o["result"] = *c.result;
  if (c.error) o["error"] = *c.error;
  return o;
}

NewCommand parse_new_command(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  NewCommand in;
  const auto command = fields.one_of("command", kCommands, true);
  const bj::object* params = fields.object("params", command && *command == "set_config");
  in.timeout_ms = fields.integer("timeoutMs", 1'000, 86'400'000, false).value_or(300'000);
  if (command && params) {
    JsonFields p = fields.nested("params", *params);
    if (*command == "update_firmware") {
      p.string("version", {1, 50}, true);
      p.string("url",
               {1, 2048, true,
                [](std::string_view url) {
                  return url.starts_with("https://") || url.starts_with("http://")
                             ? std::string()
                             : std::string("must be an http(s) URL");
                }},
               false);
    } else if (*command == "run_task") {
      p.string("taskId",
               {36, 36, true,
                [](std::string_view id) {
                  return crypto::is_uuid(id) ? std::string() : std::string("must be a UUID");
                }},
               true);
    } else if (*command == "set_config" && params->empty()) {
      fields.reject("params", "must name at least one setting");
    }
  } else if (command && (*command == "update_firmware" || *command == "run_task")) {
    fields.object("params", true);  // reports it missing
  }
  violations.throw_if_any();
  in.command = *command;
  if (params) in.params = *params;
  return in;
}

DeviceMessage parse_device_message(const bj::object& message) {
  Violations violations;
  JsonFields fields(message, violations);
  DeviceMessage out;
  out.type = fields.one_of("type", kDeviceMessageTypes, true).value_or("");
  violations.throw_if_any();
  if (out.type == "ping" || out.type == "heartbeat") return out;
  // Checked as an id here: PostgreSQL's uuid column would refuse other text with an error.
  const auto command_id = fields.string("commandId", StringRule{36, 36}, true);
  out.command_id = ascii_lower(command_id.value_or(""));
  if (command_id && !crypto::is_uuid(out.command_id))
    fields.reject("commandId", "must be a command id (a UUID)", bj::string(*command_id));
  if (out.type == "result") {
    out.outcome.status = fields.one_of("status", kCommandOutcomes, true).value_or("");
    out.outcome.error = fields.string("error", {0, 2000}, false);
    if (const auto* result = message.if_contains("result"); result && !result->is_null())
      out.outcome.result = *result;
  }
  violations.throw_if_any();
  return out;
}

void add_command_schemas(http::Components& components) {
  using namespace http::schema;
  components.add("DeviceCommand", object({{"id", uuid()},
                                          {"deviceId", uuid()},
                                          {"command", one_of(kCommands)},
                                          {"params", free_object()},
                                          {"status", one_of(kCommandStatuses)},
                                          {"timeoutMs", integer(1'000, 86'400'000)},
                                          {"expiresAt", epoch_ms()},
                                          {"createdAt", epoch_ms()},
                                          {"updatedAt", epoch_ms()},
                                          {"result", boost::json::object{}},
                                          {"error", string()}},
                                         {"id", "deviceId", "command", "params", "status",
                                          "timeoutMs", "expiresAt", "createdAt", "updatedAt"}));
  components.add("NewCommand", input({{"command", one_of(kCommands)},
                                      {"params", free_object()},
                                      {"timeoutMs", integer(1'000, 86'400'000)}},
                                     {"command"}));
}

}  // namespace karma::devices
