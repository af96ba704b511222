#include "files/file_transfer.hpp"

#include "core/app_error.hpp"
#include "core/validation.hpp"
#include "files/file_json.hpp"
#include "files/file_path.hpp"
#include "files/upload_writer.hpp"

namespace karma::files {

namespace bj = boost::json;

namespace {

// Runs `work`; a blob store failure becomes the STORAGE_UNAVAILABLE the HTTP routes answer.
template <class Work>
void storing(Work work) {
  try {
    work();
  } catch (const storage::StorageError& e) {
    throw storage::unavailable(e);
  }
}

class SocketUpload final : public realtime::HubUpload {
 public:
  SocketUpload(FileService& service, Caller caller, std::string device_id, UploadedFile meta,
               std::int64_t size, std::int64_t quota_left)
      : caller_(std::move(caller)),
        device_id_(std::move(device_id)),
        meta_(std::move(meta)),
        size_(size),
        writer_(service, quota_left) {}

  void append(std::string_view bytes) override {
    if (writer_.size() + static_cast<std::int64_t>(bytes.size()) > size_)
      throw AppError::invalid("data",
                              "more bytes than the announced size " + std::to_string(size_));
    writer_.write(bytes);
  }

  bj::object complete() override {
    if (writer_.size() != size_)
      throw AppError::invalid("size", "announced " + std::to_string(size_) + " bytes, received " +
                                          std::to_string(writer_.size()));
    return file_json(writer_.finish(caller_, device_id_, std::move(meta_)));
  }

 private:
  const Caller caller_;
  const std::string device_id_;
  UploadedFile meta_;
  const std::int64_t size_;
  UploadWriter writer_;  // destroyed unfinished: the blob is dropped
};

}  // namespace

std::unique_ptr<realtime::HubUpload> FileTransfer::begin(const std::string& user_id,
                                                         const bj::object& request) {
  Violations violations;
  JsonFields fields(request, violations);
  const auto device_id = fields.string("deviceId", {1, 64}, true);
  const auto path = fields.string("path", {1, kMaxPathBytes}, true);
  const auto name = fields.string("name", {1, kMaxNameBytes}, true);
  const auto size = fields.integer("size", 1, INT64_MAX, true);
  fields.string("mimeType", {0, 255}, false);  // the type is read from the bytes, as over HTTP
  const auto overwrite = fields.boolean("overwrite", false);
  violations.throw_if_any();
  UploadedFile meta;
  meta.folder = normalize_path(*path, "path");
  meta.name = validate_name(*name, "name");
  meta.overwrite = overwrite.value_or(false);
  const Caller caller{user_id, "user"};
  const std::int64_t quota_left =
      service_.check_upload(caller, *device_id, meta.folder, meta.name, *size, meta.overwrite);
  return std::make_unique<SocketUpload>(service_, caller, *device_id, std::move(meta), *size,
                                        quota_left);
}

}  // namespace karma::files
