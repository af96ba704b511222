#pragma once
// DeviceFile and DeviceFolder as API.md §3 shows them.
#include <boost/json/object.hpp>

#include "files/file_service.hpp"

namespace karma::files {

boost::json::object file_json(const FileRecord& f);
boost::json::object folder_json(const std::string& device_id, const FolderSummary& folder);

}  // namespace karma::files
