#pragma once
// The device side of §2: GET /api/devices/:id/connect upgraded to WebSocket. One live
// connection per device (a new one replaces the old); queued commands are delivered on connect
// and new ones as they are created (announced on the device's topic as `device_command`: the
// instance holding the connection is the one subscribed to it).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "devices/command_service.hpp"
#include "devices/device_service.hpp"
#include "http/router.hpp"
#include "realtime/event_bus.hpp"

namespace karma::devices {

class DeviceLink;

class DeviceGateway {
 public:
  DeviceGateway(DeviceService& devices, CommandService& commands, realtime::EventBus& bus);

  // The route handler: checks the device token (Authorization: Device <token>, or ?token=).
  std::shared_ptr<http::WebSocketSession> accept(http::Request& request);

  // Sends the device its queued commands if it is connected to this instance (with `resend`,
  // as on connect, also those sent before and never acknowledged).
  void deliver(const std::string& device_id, bool resend = false);
  std::size_t connected() const;

 private:
  friend class DeviceLink;
  void attach(const std::string& device_id, const std::shared_ptr<DeviceLink>& link);
  void detach(const std::string& device_id, const DeviceLink* link);

  DeviceService& devices_;
  CommandService& commands_;
  realtime::EventBus& bus_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<DeviceLink>> links_;
  std::uint64_t accepted_ = 0;  // links numbered in the order their upgrades were accepted
};

void mount_gateway_route(http::Router& router, DeviceGateway& gateway);

}  // namespace karma::devices
