#pragma once
#include "devices/command_service.hpp"
#include "devices/device_service.hpp"
#include "http/router.hpp"

namespace karma::devices {

// /api/devices and everything below it (API.md §2).
void mount_device_routes(http::Router& router, DeviceService& service, CommandService& commands);

}  // namespace karma::devices
