#include "devices/device_routes.hpp"

#include <boost/json/array.hpp>

#include "core/json.hpp"
#include "devices/command_json.hpp"
#include "devices/device_json.hpp"

namespace karma::devices {

namespace bj = boost::json;
using http::Request;
using http::Responder;
using http::Response;

namespace {

constexpr const char* kDevice = "Device";

}  // namespace

void mount_device_routes(http::Router& router, DeviceService& service, CommandService& commands) {
  using namespace http::schema;
  add_device_schemas(router.components());
  add_command_schemas(router.components());
  const auto device_reply = object({{"device", ref("Device")}}, {"device"});
  auto devices = router.group("/api/devices");
  devices
      .get("",
           [&service](Request& req) {
             const DeviceList request = parse_device_list(req.query);
             const auto [devices, total] = service.list(req.require_caller(), request);
             const std::string data =
                 json::page_text("devices", devices, total, request.paging.page,
                                 request.paging.page_size, append_device_json, 640);
             return Response::json_text(200, data);
           })
      .describe({.operation_id = "listDevices",
                 .summary = "The caller's devices, filtered, sorted and paged",
                 .tag = "Devices",
                 .query = device_list_parameters(),
                 .replies = {{200, page("devices", ref("Device"))}}});

  devices
      .post("",
            [&service](Request& req) {
              const auto created =
                  service.create(req.require_caller(), parse_new_device(req.json_body()));
              std::string data = "{\"device\":" + device_json(created.device) + ",\"deviceToken\":";
              json::append_quoted(data, created.token);
              data += '}';
              return Response::json_text(201, data);
            })
      .describe({.operation_id = "createDevice",
                 .summary = "Register a device; its token is shown once",
                 .tag = "Devices",
                 .body = ref("NewDevice"),
                 .replies = {{201, object({{"device", ref("Device")}, {"deviceToken", string()}},
                                          {"device", "deviceToken"})}},
                 .errors = {403, 409}});

  auto device = router.group("/api/devices/:id");
  device
      .get("",
           [&service](Request& req) {
             return Response::json_text(
                 200, device_json(service.get(req.require_caller(), req.id_param("id", kDevice))));
           })
      .describe({.operation_id = "getDevice",
                 .summary = "One device",
                 .tag = "Devices",
                 .replies = {{200, ref("Device")}}});

  const auto update = [&service](Request& req) {
    const std::string id = req.id_param("id", kDevice);
    const DeviceChange change = parse_device_change(req.json_body());
    return Response::json_text(200, device_json(service.update(req.require_caller(), id, change)));
  };
  const http::RouteDoc update_doc{.operation_id = "updateDevice",
                                  .summary = "Rename, move or retag a device",
                                  .tag = "Devices",
                                  .body = ref("DeviceChange"),
                                  .replies = {{200, ref("Device")}}};
  device.put("", update).describe(update_doc);
  device.patch("", update).describe(update_doc).doc.operation_id = "patchDevice";

  device
      .del("",
           [&service](Request& req) {
             service.remove(req.require_caller(), req.id_param("id", kDevice));
             return Response::ok(nullptr);
           })
      .describe({.operation_id = "deleteDevice",
                 .summary = "Delete a device with its files, metrics and commands",
                 .tag = "Devices",
                 .replies = {{200, boost::json::object{{"type", "null"}}}}});

  device
      .post("/token",
            [&service](Request& req) {
              const std::string token =
                  service.rotate_token(req.require_caller(), req.id_param("id", kDevice));
              return Response::ok(bj::object{{"deviceToken", token}});
            })
      .describe({.operation_id = "rotateDeviceToken",
                 .summary = "Issue a new device token; the old one stops working",
                 .tag = "Devices",
                 .replies = {{200, object({{"deviceToken", string()}}, {"deviceToken"})}}});

  // Devices authenticate with their own token; owners may report for them with their JWT.
  device
      .post_async(
          "/heartbeat",
          [&service, &router](Request& req, const Responder& respond) {
            HeartbeatSender sender;
            if (!req.device_token.empty())
              sender.device_token = req.device_token;  // proven by the write that records it
            else
              sender.owner = req.require_caller();
            std::string id = req.id_param("id", kDevice);
            Heartbeat beat = parse_heartbeat(req.json_body());
            auto done = [&router, &req, respond](const DeviceRecord* device,
                                                 std::exception_ptr error) {
              if (error) return respond(router.error_response(error, req));
              respond(Response::json_text(200, "{\"device\":" + device_json(*device) + "}"));
            };
            service.heartbeat(std::move(sender), std::move(id), std::move(beat), std::move(done));
          },
          {.guard = http::Guard::user_or_device})
      .describe({.operation_id = "deviceHeartbeat",
                 .summary = "Report a device's state and metrics (device token, or the owner)",
                 .tag = "Devices",
                 .body = ref("Heartbeat"),
                 .replies = {{200, device_reply}}});

  device
      .get("/metrics",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kDevice);
             Violations violations;
             QueryFields query(req.query, violations);
             const auto from = query.optional_integer("from", 0, INT64_MAX / 2);
             const auto to = query.optional_integer("to", 0, INT64_MAX / 2);
             const auto limit = query.integer("limit", 1, 10'000, 500);
             violations.throw_if_any();
             bj::array samples;
             for (const auto& s : service.metrics(req.require_caller(), id, from, to, limit))
               samples.push_back(sample_json(s));
             return Response::ok(bj::object{{"samples", std::move(samples)}});
           })
      .describe(
          {.operation_id = "deviceMetrics",
           .summary = "Metrics samples in a time range (default: the last 24 hours)",
           .tag = "Devices",
           .query = {{"from", epoch_ms()}, {"to", epoch_ms()}, {"limit", integer(1, 10'000)}},
           .replies = {{200, object({{"samples", array(ref("MetricsSample"))}}, {"samples"})}}});

  device
      .post("/commands",
            [&commands](Request& req) {
              const std::string id = req.id_param("id", kDevice);
              const NewCommand in = parse_new_command(req.json_body());
              return Response::json(
                  202, bj::object{{"command",
                                   command_json(commands.create(req.require_caller(), id, in))}});
            })
      .describe({.operation_id = "sendCommand",
                 .summary = "Queue a command for the device (delivered over its gateway)",
                 .tag = "Commands",
                 .body = ref("NewCommand"),
                 .replies = {{202, object({{"command", ref("DeviceCommand")}}, {"command"})}}});

  device
      .get("/commands",
           [&commands](Request& req) {
             const std::string id = req.id_param("id", kDevice);
             const Paging paging = parse_paging(req.query);
             const auto [items, total] = commands.list(req.require_caller(), id, paging);
             const auto append_command = [](std::string& out, const CommandRecord& c) {
               out += json::serialize(command_json(c));
             };
             return Response::json_text(200, json::page_text("commands", items, total, paging.page,
                                                             paging.page_size, append_command));
           })
      .describe({.operation_id = "listCommands",
                 .summary = "The device's commands, newest first",
                 .tag = "Commands",
                 .query = http::paging_parameters(),
                 .replies = {{200, page("commands", ref("DeviceCommand"))}}});

  device
      .get("/commands/:commandId",
           [&commands](Request& req) {
             const std::string id = req.id_param("id", kDevice);
             const std::string command_id = req.id_param("commandId", "Command");
             return Response::ok(command_json(commands.get(req.require_caller(), id, command_id)));
           })
      .describe({.operation_id = "getCommand",
                 .summary = "One command",
                 .tag = "Commands",
                 .replies = {{200, ref("DeviceCommand")}}});
}

}  // namespace karma::devices
