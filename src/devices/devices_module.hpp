#pragma once
// The devices feature: the registry, heartbeats and metrics, commands and the device gateway
// (API.md §2). Other features use it through DeviceDirectory.
#include "devices/command_service.hpp"
#include "devices/device_directory.hpp"
#include "devices/device_gateway.hpp"
#include "devices/device_service.hpp"
#include "platform/module.hpp"

namespace karma::devices {

class DevicesModule final : public Module {
 public:
  DevicesModule(const Platform& platform, billing::PlanDirectory& plans);
  DeviceDirectory& directory() { return devices_; }
  DeviceService& service() { return devices_; }
  CommandService& commands() { return commands_; }
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  DeviceService devices_;
  CommandService commands_;
  DeviceGateway gateway_;
};

}  // namespace karma::devices
