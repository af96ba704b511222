#include "files/file_routes.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <charconv>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/validation.hpp"
#include "files/file_json.hpp"
#include "files/file_path.hpp"
#include "files/upload_writer.hpp"
#include "files/zip_stream.hpp"
#include "http/multipart.hpp"

namespace karma::files {

namespace bj = boost::json;
using http::Request;
using http::Response;

namespace {

constexpr const char* kDevice = "Device";
constexpr const char* kFile = "File";
constexpr std::size_t kFieldLimitBytes = 4096;
constexpr std::size_t kBatchMaxFiles = 1000;

// An upload as it streams in: the `file` part goes straight to a blob (hashed on the way), the
// small fields are collected; finish() records the file.
class UploadStream final : public http::BodyStream, public http::MultipartSink {
 public:
  UploadStream(FileService& service, Caller caller, std::string device_id,
               std::string_view boundary, std::int64_t quota_left)
      : service_(service),
        caller_(std::move(caller)),
        device_id_(std::move(device_id)),
        parser_(boundary, *this),
        quota_left_(quota_left) {}

  std::size_t consume(std::string_view bytes) override { return parser_.consume(bytes); }

  Response finish(std::string_view) override {
    parser_.finish();
    if (!file_seen_) throw AppError::invalid("file", "is required");
    upload_.folder = normalize_path(path_ ? *path_ : "/", "path");
    if (category_) {
      if (std::find(kFileCategories.begin(), kFileCategories.end(), *category_) ==
          kFileCategories.end())
        throw AppError::invalid("category", "must be one of " + join(kFileCategories, ", "));
      upload_.category = *category_;
    }
    if (overwrite_) {
      if (*overwrite_ != "true" && *overwrite_ != "false")
        throw AppError::invalid("overwrite", "must be \"true\" or \"false\"");
      upload_.overwrite = *overwrite_ == "true";
    }
    FileRecord file = writer_->finish(caller_, device_id_, std::move(upload_));
    return Response::created(bj::object{{"file", file_json(file)}});
  }

 private:
  void on_part_begin(const http::PartHeaders& headers) override {
    field_.reset();
    in_file_ = false;
    if (headers.name == "file") {
      if (file_seen_) throw AppError::invalid("file", "only one file per upload");
      if (!headers.filename) throw AppError::invalid("file", "must be a file part with a filename");
      upload_.name = validate_name(*headers.filename, "file");
      file_seen_ = true;
      in_file_ = true;
      writer_.emplace(service_, quota_left_);
    } else if (headers.name == "path" || headers.name == "category" ||
               headers.name == "overwrite") {
      field_name_ = headers.name;
      field_.emplace();
    }  // other fields are ignored, as unknown JSON fields are
  }

  void on_part_data(std::string_view bytes) override {
    if (in_file_) {
      writer_->write(bytes);
    } else if (field_) {
      if (field_->size() + bytes.size() > kFieldLimitBytes)
        throw AppError::invalid(field_name_, "too long");
      field_->append(bytes);
    }
  }

  void on_part_end() override {
    in_file_ = false;
    if (!field_) return;
    if (field_name_ == "path") path_ = std::move(*field_);
    if (field_name_ == "category") category_ = std::move(*field_);
    if (field_name_ == "overwrite") overwrite_ = std::move(*field_);
    field_.reset();
  }

  FileService& service_;
  const Caller caller_;
  const std::string device_id_;
  http::MultipartParser parser_;
  const std::int64_t quota_left_;
  std::optional<UploadWriter> writer_;
  UploadedFile upload_;
  bool file_seen_ = false;
  bool in_file_ = false;
  std::string field_name_;
  std::optional<std::string> field_;
  std::optional<std::string> path_, category_, overwrite_;
};

class BlobSource final : public http::BodySource {
 public:
  explicit BlobSource(std::unique_ptr<storage::BlobReader> reader) : reader_(std::move(reader)) {}
  std::size_t read(char* buffer, std::size_t size) override {
    return reader_->read(std::span<char>(buffer, size));
  }

 private:
  std::unique_ptr<storage::BlobReader> reader_;
};

std::string etag_of(const FileRecord& f) {
  return "\"" + f.checksum_sha256 + "\"";
}

// Batch download: the files as one ZIP streamed from the blob store, entries named by path.
Response archive(FileService& service, const Caller& caller, const std::string& device_id,
                 const std::vector<std::string>& ids) {
  std::vector<ZipEntry> entries;
  for (auto& f : service.files_for_archive(caller, device_id, ids)) {
    const auto size = static_cast<std::uint64_t>(f.size);
    std::string name = f.path.substr(1);
    const EpochMs modified = f.modified_at;
    entries.push_back({std::move(name), size, modified, [&service, file = std::move(f), size] {
                         return service.open_content(file, 0, size);
                       }});
  }
  const std::uint64_t size = zip_size(entries);
  if (size > kZipMaxBytes)
    throw AppError::too_large("Archives over 4 GiB are not supported",
                              static_cast<std::int64_t>(kZipMaxBytes));
  Response r;
  r.content_type = "application/zip";
  r.set_header("content-disposition", "attachment; filename=\"files.zip\"");
  r.stream = std::make_shared<ZipSource>(std::move(entries));
  r.stream_length = size;
  return r;
}

}  // namespace

std::string content_disposition(std::string_view name) {
  // Quotes, backslashes, control and non-ASCII bytes cannot stand in the quoted fallback.
  std::string fallback;
  for (unsigned char c : name)
    fallback.push_back(c < 0x80 && c >= 0x20 && c != '"' && c != '\\' ? static_cast<char>(c) : '_');
  return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" +
         crypto::percent_encode(name);
}

void mount_file_routes(http::Router& router, FileService& service) {
  using namespace http::schema;
  add_file_schemas(router.components());
  auto device = router.group("/api/devices/:id");
  device
      .get("/files",
           [&service](Request& req) {
             const std::string device_id = req.id_param("id", kDevice);
             const FileQuery query = parse_file_query(req.query);
             const FileListing listing = service.list(req.require_caller(), device_id, query);
             bj::array files;
             for (const auto& f : listing.files) files.push_back(file_json(f));
             bj::array folders;
             for (const auto& f : listing.folders) folders.push_back(folder_json(device_id, f));
             return Response::ok(bj::object{{"files", std::move(files)},
                                            {"folders", std::move(folders)},
                                            {"totalSize", listing.total_size}});
           })
      .describe({.operation_id = "listFiles",
                 .summary = "Files and folders in a folder of the device (or below it)",
                 .tag = "Files",
                 .query = file_list_parameters(),
                 .replies = {{200, object({{"files", array(ref("DeviceFile"))},
                                           {"folders", array(ref("DeviceFolder"))},
                                           {"totalSize", integer(0)}},
                                          {"files", "folders", "totalSize"})}}});

  device
      .post_streaming("/files/upload",
                      [&service](Request& req) -> std::unique_ptr<http::BodyStream> {
                        const std::string device_id = req.id_param("id", kDevice);
                        const Caller& caller = req.require_caller();
                        const auto boundary = http::multipart_boundary(req.header("content-type"));
                        if (!boundary)
                          throw AppError::invalid("content-type",
                                                  "must be multipart/form-data with a boundary");
                        service.require_device(caller, device_id);
                        return std::make_unique<UploadStream>(service, caller, device_id, *boundary,
                                                              service.remaining_quota(caller));
                      })
      .describe({.operation_id = "uploadFile",
                 .summary = "Upload one file (multipart/form-data, streamed to storage)",
                 .tag = "Files",
                 .body = ref("FileUpload"),
                 .body_content_type = "multipart/form-data",
                 .replies = {{201, object({{"file", ref("DeviceFile")}}, {"file"})}},
                 .errors = {403, 409}});

  device
      .post("/folders",
            [&service](Request& req) {
              const std::string device_id = req.id_param("id", kDevice);
              const bj::object body = req.json_body();
              Violations violations;
              JsonFields fields(body, violations);
              const auto raw = fields.string("path", StringRule{1, kMaxPathBytes}, true);
              violations.throw_if_any();
              const std::string path = normalize_path(*raw, "path");
              const FolderSummary folder =
                  service.create_folder(req.require_caller(), device_id, path);
              return Response::created(bj::object{{"folder", folder_json(device_id, folder)}});
            })
      .describe({.operation_id = "createFolder",
                 .summary = "Create a folder (and its parents); 409 when it exists",
                 .tag = "Files",
                 .body = input({{"path", string(kMaxPathBytes, 1)}}, {"path"}),
                 .replies = {{201, object({{"folder", ref("DeviceFolder")}}, {"folder"})}},
                 .errors = {409}});

  device
      .get("/files/:fileId",
           [&service](Request& req) {
             const std::string device_id = req.id_param("id", kDevice);
             const std::string id = req.id_param("fileId", kFile);
             return Response::ok(file_json(service.get(req.require_caller(), device_id, id)));
           })
      .describe({.operation_id = "getFile",
                 .summary = "One file",
                 .tag = "Files",
                 .replies = {{200, ref("DeviceFile")}}});

  device
      .get("/files/:fileId/download",
           [&service](Request& req) {
             const std::string device_id = req.id_param("id", kDevice);
             const std::string id = req.id_param("fileId", kFile);
             const FileRecord file = service.open_for_download(req.require_caller(), device_id, id);
             const auto size = static_cast<std::uint64_t>(file.size);
             const std::string etag = etag_of(file);
             if (const auto inm = req.header("if-none-match");
                 !inm.empty() && http::etag_matches(inm, etag)) {
               return Response::not_modified(etag);
             }
             std::optional<std::pair<std::uint64_t, std::uint64_t>> range;
             try {
               range = parse_range(req.header("range"), size);
             } catch (const AppError& e) {
               Response r = Response::error(e);
               r.set_header("content-range", "bytes */" + std::to_string(size));
               return r;
             }
             const std::uint64_t offset = range ? range->first : 0;
             const std::uint64_t length = range ? range->second : size;
             Response r;
             r.status = range ? 206 : 200;
             r.content_type = file.mime_type.empty() ? "application/octet-stream" : file.mime_type;
             r.set_header("etag", etag);
             r.set_header("accept-ranges", "bytes");
             r.set_header("content-disposition", content_disposition(file.name));
             if (range)
               r.set_header("content-range", "bytes " + std::to_string(offset) + "-" +
                                                 std::to_string(offset + length - 1) + "/" +
                                                 std::to_string(size));
             r.stream = std::make_shared<BlobSource>(service.open_content(file, offset, length));
             r.stream_length = length;
             return r;
           })
      .describe({.operation_id = "downloadFile",
                 .summary = "The file's bytes (Range and If-None-Match honoured)",
                 .tag = "Files",
                 .replies = {{200, binary(), "The file", "application/octet-stream"},
                             {206, binary(), "The requested range", "application/octet-stream"},
                             {304, nullptr, "Not modified"}},
                 .errors = {416}});

  device
      .post(
          "/files/batch",
          [&service](Request& req) {
            const std::string device_id = req.id_param("id", kDevice);
            const bj::object body = req.json_body();
            Violations violations;
            JsonFields fields(body, violations);
            const auto operation = fields.one_of("operation", kBatchOperations, true);
            const auto ids =
                fields.string_array("fileIds", kBatchMaxFiles, StringRule{1, 64}, true);
            const auto target = fields.string("targetPath", StringRule{1, kMaxPathBytes}, false);
            if (operation && (*operation == "move" || *operation == "copy") && !target)
              fields.reject("targetPath", "is required for move and copy");
            if (ids && ids->empty()) fields.reject("fileIds", "must name at least one file");
            violations.throw_if_any();
            if (*operation == "download")
              return archive(service, req.require_caller(), device_id, *ids);
            const BatchOperation op = *operation == "delete" ? BatchOperation::remove
                                      : *operation == "move" ? BatchOperation::move
                                                             : BatchOperation::copy;
            const std::string folder = target ? normalize_path(*target, "targetPath") : "/";
            const BatchOutcome outcome =
                service.batch(req.require_caller(), device_id, op, *ids, folder);
            bj::array succeeded(outcome.succeeded.begin(), outcome.succeeded.end());
            bj::array failed;
            for (const auto& f : outcome.failed)
              failed.push_back(bj::object{{"id", f.id}, {"code", f.code}, {"message", f.message}});
            bj::object data{{"succeeded", std::move(succeeded)}, {"failed", std::move(failed)}};
            if (op != BatchOperation::remove) {
              bj::array files;
              for (const auto& f : outcome.files) files.push_back(file_json(f));
              data["files"] = std::move(files);
            }
            return Response::ok(data);
          })
      .describe({.operation_id = "batchFiles",
                 .summary = "Delete, move, copy or download (as one ZIP) several files",
                 .tag = "Files",
                 .body = ref("FileBatch"),
                 .replies = {{200, ref("FileBatchOutcome")},
                             {200, binary(), "download: the files as one ZIP", "application/zip"}},
                 .errors = {409}});

  device
      .del("/files/:fileId",
           [&service](Request& req) {
             const std::string device_id = req.id_param("id", kDevice);
             const std::string id = req.id_param("fileId", kFile);
             service.remove(req.require_caller(), device_id, id);
             return Response::ok(nullptr);
           })
      .describe({.operation_id = "deleteFile",
                 .summary = "Delete a file",
                 .tag = "Files",
                 .replies = {{200, boost::json::object{{"type", "null"}}}}});
}

}  // namespace karma::files
