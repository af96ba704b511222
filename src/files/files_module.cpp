#include "files/files_module.hpp"

#include "core/config.hpp"
#include "files/file_routes.hpp"

namespace karma::files {

FilesModule::FilesModule(const Platform& platform, devices::DeviceDirectory& devices,
                         billing::PlanDirectory& plans)
    : service_(platform.db, platform.blobs, devices, plans,
               FileSettings{.max_file_bytes = platform.config.upload_max_bytes}) {
  devices.on_remove([this](db::Connection& c, const std::string& device_id) {
    return service_.release_device(c, device_id);
  });
}

void FilesModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_file_routes(router, service_);
}

}  // namespace karma::files
