#include "files/file_json.hpp"

#include "files/file_path.hpp"

namespace karma::files {

namespace bj = boost::json;

bj::object file_json(const FileRecord& f) {
  bj::object o{{"id", f.id},
               {"deviceId", f.device_id},
               {"name", f.name},
               {"path", f.path},
               {"type", f.type},
               {"category", f.category},
               {"size", f.size},
               {"mimeType", f.mime_type},
               {"extension", f.extension},
               {"createdAt", f.created_at},
               {"modifiedAt", f.modified_at},
               {"isDirectory", false},
               {"parentPath", f.parent_path},
               {"downloadUrl", "/api/devices/" + f.device_id + "/files/" + f.id + "/download"},
               {"checksumMD5", f.checksum_md5},
               {"checksumSHA256", f.checksum_sha256}};
  if (f.accessed_at) o["accessedAt"] = *f.accessed_at;
  return o;
}

bj::object folder_json(const std::string& device_id, const FolderSummary& folder) {
  return bj::object{{"id", folder.id ? bj::value(*folder.id) : bj::value(nullptr)},
                    {"deviceId", device_id},
                    {"name", folder.name},
                    {"path", folder.path},
                    {"parentPath", parent_path(folder.path)},
                    {"fileCount", folder.file_count},
                    {"folderCount", folder.folder_count},
                    {"totalSize", folder.total_size},
                    {"createdAt", folder.created_at},
                    {"modifiedAt", folder.modified_at}};
}

}  // namespace karma::files
