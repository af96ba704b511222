#pragma once
// The files feature: files and folders of a device (API.md §3). Device ownership and the
// user's plan are asked through the interfaces of the features that own them.
#include "billing/plans.hpp"
#include "devices/device_directory.hpp"
#include "files/file_service.hpp"
#include "files/file_transfer.hpp"
#include "platform/module.hpp"

namespace karma::files {

class FilesModule final : public Module {
 public:
  FilesModule(const Platform& platform, devices::DeviceDirectory& devices,
              billing::PlanDirectory& plans);
  FileService& service() { return service_; }
  FileTransfer& transfer() { return transfer_; }
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  FileService service_;
  FileTransfer transfer_{service_};
};

}  // namespace karma::files
