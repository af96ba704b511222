#include "files/upload_writer.hpp"

#include "core/app_error.hpp"

namespace karma::files {

namespace {
constexpr std::size_t kHeadBytes = 512;
}  // namespace

UploadWriter::UploadWriter(FileService& service, std::int64_t quota_left)
    : service_(service), quota_left_(quota_left), blob_(service.create_blob()) {}

void UploadWriter::write(std::string_view bytes) {
  size_ += static_cast<std::int64_t>(bytes.size());
  service_.require_file_size(size_);
  if (size_ > quota_left_) throw AppError::plan_limit("Storage quota exceeded", quota_left_);
  if (head_.size() < kHeadBytes) head_.append(bytes.substr(0, kHeadBytes - head_.size()));
  md5_.update(bytes);
  sha256_.update(bytes);
  blob_->write(bytes);
}

FileRecord UploadWriter::finish(const Caller& caller, const std::string& device_id,
                                UploadedFile upload) {
  if (size_ == 0) throw AppError::invalid("file", "must not be empty");
  upload.size = size_;
  upload.head = std::move(head_);
  upload.md5 = md5_.hex_final();
  upload.sha256 = sha256_.hex_final();
  return service_.record_upload(caller, device_id, std::move(upload), *blob_);
}

}  // namespace karma::files
