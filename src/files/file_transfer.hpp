#pragma once
// Uploads over the realtime hub (API.md §8 file_upload / file_chunk / file_complete): the same
// rules as the HTTP upload, through the same UploadWriter, announced up front.
#include "files/file_service.hpp"
#include "realtime/hub.hpp"

namespace karma::files {

class FileTransfer final : public realtime::HubFiles {
 public:
  explicit FileTransfer(FileService& service) : service_(service) {}
  std::unique_ptr<realtime::HubUpload> begin(const std::string& user_id,
                                             const boost::json::object& request) override;

 private:
  FileService& service_;
};

}  // namespace karma::files
