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
  auto devices = router.group("/api/devices");
  devices.get("", [&service](Request& req) {
    const DeviceList request = parse_device_list(req.query);
    const auto [devices, total] = service.list(req.require_caller(), request);
    std::string data = "{\"devices\":[";
    data.reserve(devices.size() * 640 + 64);
    for (std::size_t i = 0; i < devices.size(); ++i) {
      if (i > 0) data += ',';
      append_device_json(data, devices[i]);
    }
    data += "],\"total\":" + std::to_string(total) +
            ",\"page\":" + std::to_string(request.paging.page) +
            ",\"pageSize\":" + std::to_string(request.paging.page_size) + "}";
    return Response::json_text(200, data);
  });

  devices.post("", [&service](Request& req) {
    const auto created = service.create(req.require_caller(), parse_new_device(req.json_body()));
    std::string data = "{\"device\":" + device_json(created.device) + ",\"deviceToken\":";
    json::append_quoted(data, created.token);
    data += '}';
    return Response::json_text(201, data);
  });

  auto device = router.group("/api/devices/:id");
  device.get("", [&service](Request& req) {
    return Response::json_text(
        200, device_json(service.get(req.require_caller(), req.id_param("id", kDevice))));
  });

  const auto update = [&service](Request& req) {
    const std::string id = req.id_param("id", kDevice);
    const DeviceChange change = parse_device_change(req.json_body());
    return Response::json_text(200, device_json(service.update(req.require_caller(), id, change)));
  };
  device.put("", update);
  device.patch("", update);

  device.del("", [&service](Request& req) {
    service.remove(req.require_caller(), req.id_param("id", kDevice));
    return Response::ok(nullptr);
  });

  device.post("/token", [&service](Request& req) {
    const std::string token =
        service.rotate_token(req.require_caller(), req.id_param("id", kDevice));
    return Response::ok(bj::object{{"deviceToken", token}});
  });

  // Devices authenticate with their own token; owners may report for them with their JWT.
  device.post_async(
      "/heartbeat",
      [&service, &router](Request& req, const Responder& respond) {
        HeartbeatSender sender;
        if (!req.device_token.empty())
          sender.device_token = req.device_token;  // proven by the write that records it
        else
          sender.owner = req.require_caller();
        std::string id = req.id_param("id", kDevice);
        Heartbeat beat = parse_heartbeat(req.json_body());
        auto done = [&router, &req, respond](const DeviceRecord* device, std::exception_ptr error) {
          if (error) return respond(router.error_response(error, req));
          respond(Response::json_text(200, "{\"device\":" + device_json(*device) + "}"));
        };
        service.heartbeat(std::move(sender), std::move(id), std::move(beat), std::move(done));
      },
      {.guard = http::Guard::user_or_device});

  device.get("/metrics", [&service](Request& req) {
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
  });

  device.post("/commands", [&commands](Request& req) {
    const std::string id = req.id_param("id", kDevice);
    const NewCommand in = parse_new_command(req.json_body());
    return Response::json(
        202, bj::object{{"command", command_json(commands.create(req.require_caller(), id, in))}});
  });

  device.get("/commands", [&commands](Request& req) {
    const std::string id = req.id_param("id", kDevice);
    Violations violations;
    QueryFields query(req.query, violations);
    const Paging paging = read_paging(query);
    violations.throw_if_any();
    const auto [items, total] = commands.list(req.require_caller(), id, paging);
    bj::array out;
    for (const auto& c : items) out.push_back(command_json(c));
    return Response::ok(bj::object{{"commands", std::move(out)},
                                   {"total", total},
                                   {"page", paging.page},
                                   {"pageSize", paging.page_size}});
  });

  device.get("/commands/:commandId", [&commands](Request& req) {
    const std::string id = req.id_param("id", kDevice);
    const std::string command_id = req.id_param("commandId", "Command");
    return Response::ok(command_json(commands.get(req.require_caller(), id, command_id)));
  });
}

}  // namespace karma::devices
