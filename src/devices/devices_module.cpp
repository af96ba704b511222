#include "devices/devices_module.hpp"

#include "core/config.hpp"
#include "devices/device_routes.hpp"
#include "jobs/scheduler.hpp"

namespace karma::devices {

DevicesModule::DevicesModule(const Platform& platform, billing::PlanDirectory& plans)
    : devices_(platform.db, platform.commits, platform.bus, plans,
               DeviceSettings{platform.config.heartbeat_interval_seconds,
                              platform.config.metrics_max_samples,
                              platform.config.metrics_retention_days}),
      commands_(platform.db, platform.bus),
      gateway_(devices_, commands_, platform.bus) {}

void DevicesModule::mount(http::Router& router, jobs::Scheduler& jobs) {
  mount_device_routes(router, devices_, commands_);
  mount_gateway_route(router, gateway_);
  jobs.every("offline-devices",
             std::chrono::seconds(devices_.settings().heartbeat_interval_seconds),
             [this] { devices_.mark_silent_devices_offline(); });
  jobs.every("expire-device-commands", std::chrono::seconds(5),
             [this] { commands_.expire_overdue(); });
  jobs.every("prune-device-metrics", std::chrono::minutes(10),
             [this] { devices_.prune_metrics(); });
}

}  // namespace karma::devices
