#include "files/file_json.hpp"

#include <algorithm>
#include <charconv>

#include "core/app_error.hpp"
#include "files/file_path.hpp"
#include "http/request.hpp"

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

FileQuery parse_file_query(const QueryFields::Params& params) {
  Violations violations;
  QueryFields query(params, violations);
  FileQuery q;
  const auto path = query.string("path", kMaxPathBytes);
  q.type = query.optional_one_of("type", kFileTypes);
  q.category = query.optional_one_of("category", kFileCategories);
  q.q = query.string("q", 200);
  q.recursive = query.boolean("recursive").value_or(false);
  q.sort = query.one_of("sort", kFileSorts, "name");
  q.order = query.one_of("order", kSortOrders, "asc");
  violations.throw_if_any();
  q.path = normalize_path(path ? *path : "/", "path");
  return q;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(std::string_view header,
                                                                   std::uint64_t size) {
  // RFC 9110 §14.2: a Range the server does not understand — malformed, another unit, several
  // ranges — is ignored, and the whole file is sent.
  if (header.size() < 6 || !http::iequals(header.substr(0, 6), "bytes=")) return std::nullopt;
  const std::string_view spec = trim(header.substr(6));
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos)
    return std::nullopt;
  bool malformed = false;
  const auto number = [&malformed](std::string_view text) -> std::optional<std::uint64_t> {
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    malformed = malformed || ec != std::errc() || end != text.data() + text.size();
    return value;
  };
  const auto first = number(spec.substr(0, dash));
  const auto last = number(spec.substr(dash + 1));
  if (malformed || (!first && !last) || (first && last && *last < *first)) return std::nullopt;
  const auto unsatisfiable = [size] {
    return AppError(ErrorCode::range_not_satisfiable, "Range is outside the file",
                    bj::object{{"size", size}});
  };
  if (!first) {  // the last N bytes
    if (*last == 0 || size == 0) throw unsatisfiable();
    const std::uint64_t length = std::min(*last, size);
    return std::pair{size - length, length};
  }
  if (*first >= size) throw unsatisfiable();
  const std::uint64_t end = last ? std::min(*last, size - 1) : size - 1;
  return std::pair{*first, end - *first + 1};
}

void add_file_schemas(http::Components& components) {
  using namespace http::schema;
  components.add("DeviceFile",
                 object({{"id", uuid()},
                         {"deviceId", uuid()},
                         {"name", string()},
                         {"path", string()},
                         {"type", one_of(kFileTypes)},
                         {"category", one_of(kFileCategories)},
                         {"size", integer(0)},
                         {"mimeType", string()},
                         {"extension", string(32)},
                         {"createdAt", epoch_ms()},
                         {"modifiedAt", epoch_ms()},
                         {"accessedAt", epoch_ms()},
                         {"isDirectory", boolean()},
                         {"parentPath", string()},
                         {"downloadUrl", string()},
                         {"checksumMD5", string()},
                         {"checksumSHA256", string()}},
                        {"id", "deviceId", "name", "path", "type", "category", "size", "mimeType",
                         "extension", "createdAt", "modifiedAt", "isDirectory", "parentPath",
                         "downloadUrl", "checksumMD5", "checksumSHA256"}));
  components.add("DeviceFolder",
                 object({{"id", nullable(uuid())},
                         {"deviceId", uuid()},
                         {"name", string()},
                         {"path", string()},
                         {"parentPath", string()},
                         {"fileCount", integer(0)},
                         {"folderCount", integer(0)},
                         {"totalSize", integer(0)},
                         {"createdAt", epoch_ms()},
                         {"modifiedAt", epoch_ms()}},
                        {"id", "deviceId", "name", "path", "parentPath", "fileCount", "folderCount",
                         "totalSize", "createdAt", "modifiedAt"}));
  components.add("FileUpload", object({{"file", binary()},
                                       {"path", string(kMaxPathBytes)},
                                       {"category", one_of(kFileCategories)},
                                       {"overwrite", one_of(kBooleanTexts)}},
                                      {"file"}));
  components.add("FileBatch", input({{"operation", one_of(kBatchOperations)},
                                     {"fileIds", array(uuid())},
                                     {"targetPath", string(kMaxPathBytes, 1)}},
                                    {"operation", "fileIds"}));
  components.add(
      "FileBatchOutcome",
      object({{"succeeded", array(uuid())},
              {"failed", array(object({{"id", string()}, {"code", string()}, {"message", string()}},
                                      {"id", "code", "message"}))},
              {"files", array(ref("DeviceFile"))}},
             {"succeeded", "failed"}));
}

std::vector<http::Parameter> file_list_parameters() {
  using namespace http::schema;
  return {{"path", string(kMaxPathBytes), "the folder listed (default /)"},
          {"type", one_of(kFileTypes)},
          {"category", one_of(kFileCategories)},
          {"q", string(200), "case-insensitive search in names"},
          {"recursive", one_of(kBooleanTexts)},
          {"sort", one_of(kFileSorts)},
          {"order", one_of(kSortOrders)}};
}

}  // namespace karma::files
