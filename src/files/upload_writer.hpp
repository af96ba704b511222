#pragma once
// The bytes of one upload on their way to the blob store, whatever brought them (a multipart
// HTTP body, the hub's file chunks): counted against the file size limit and the caller's quota,
// hashed, their start kept for classification. Destroyed unfinished, it drops the blob.
#include <memory>
#include <string>
#include <string_view>

#include "core/crypto.hpp"
#include "files/file_service.hpp"

namespace karma::files {

class UploadWriter {
 public:
  UploadWriter(FileService& service, std::int64_t quota_left);
  // Throws PAYLOAD_TOO_LARGE past the file size limit, PLAN_LIMIT_EXCEEDED past the quota.
  void write(std::string_view bytes);
  std::int64_t size() const { return size_; }
  // Records `upload` (folder, name, category, overwrite) with these bytes as its content.
  FileRecord finish(const Caller& caller, const std::string& device_id, UploadedFile upload);

 private:
  FileService& service_;
  const std::int64_t quota_left_;
  std::unique_ptr<storage::BlobWriter> blob_;
  crypto::Digest md5_{crypto::Digest::Algorithm::md5};
  crypto::Digest sha256_{crypto::Digest::Algorithm::sha256};
  std::int64_t size_ = 0;
  std::string head_;
};

}  // namespace karma::files
