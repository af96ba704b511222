#pragma once
// Device files: uploads streamed into the blob store, listings, downloads, deletion. Every call
// is scoped to the caller's devices: another user's device or file is NOT_FOUND.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "billing/plans.hpp"
#include "core/caller.hpp"
#include "db/database.hpp"
#include "devices/device_directory.hpp"
#include "files/file_store.hpp"
#include "storage/blob_store.hpp"

namespace karma::files {

struct FileSettings {
  std::int64_t max_file_bytes = 5LL << 30;  // per-user storage is the plan's (PlanDirectory)
};

// A file whose bytes are in the blob store, ready to be recorded.
struct UploadedFile {
  std::string folder;  // normalised
  std::string name;    // validated
  std::string category = "user";
  bool overwrite = false;
  std::int64_t size = 0;
  std::string head;  // the first bytes, for classification
  std::string md5;
  std::string sha256;
  std::string storage_key;
};

struct FolderSummary {
  std::string path;
  std::string name;
  std::int64_t file_count = 0;    // direct children
  std::int64_t folder_count = 0;  // direct children
  std::int64_t total_size = 0;    // everything below
  EpochMs created_at = 0;
  EpochMs modified_at = 0;
  std::optional<std::string> id;  // explicit folders have a row
};

struct FileListing {
  std::vector<FileRecord> files;
  std::vector<FolderSummary> folders;
  std::int64_t total_size = 0;
};

struct FileQuery {
  std::string path = "/";
  std::optional<std::string> type, category, q;
  bool recursive = false;
  std::string sort = "name";  // name | size | createdAt | modifiedAt
  std::string order = "asc";
};

enum class BatchOperation { remove, move, copy };

struct BatchFailure {
  std::string id;
  std::string code;  // the contract's error code
  std::string message;
};

struct BatchOutcome {
  std::vector<std::string> succeeded;
  std::vector<BatchFailure> failed;
  std::vector<FileRecord> files;  // what moves and copies produced
};

class FileService {
 public:
  // Devices and plans are asked through the interfaces their features provide.
  FileService(db::Database& db, storage::BlobStore& blobs, devices::DeviceDirectory& devices,
              billing::PlanDirectory& plans, FileSettings settings);

  const FileSettings& settings() const { return settings_; }
  // Where an upload's bytes go; dropped unless record_upload commits them.
  std::unique_ptr<storage::BlobWriter> create_blob() { return blobs_.create(); }
  // `length` bytes of the file's content from `offset`.
  std::unique_ptr<storage::BlobReader> open_content(const FileRecord& file, std::uint64_t offset,
                                                    std::uint64_t length) {
    return blobs_.open(file.storage_key, offset, length);
  }

  // Throws NOT_FOUND unless the device is the caller's.
  void require_device(const Caller& caller, const std::string& device_id);
  // Bytes the caller may still store (INT64_MAX when unlimited).
  std::int64_t remaining_quota(const Caller& caller);
  // PAYLOAD_TOO_LARGE past the largest file one upload may store.
  void require_file_size(std::int64_t size) const;
  // What an upload announcing its size is told before any byte (the hub's file_upload): the
  // device is the caller's, the size fits the file limit and the quota, and nothing is at
  // folder/name unless `overwrite` lets a file there be replaced. record_upload checks it all
  // again. Returns the quota left.
  std::int64_t check_upload(const Caller& caller, const std::string& device_id,
                            const std::string& folder, const std::string& name, std::int64_t size,
                            bool overwrite);
  // Records an upload whose blob is written but not yet committed; commits it. On any failure
  // nothing is left: no row and no unreferenced blob.
  FileRecord record_upload(const Caller& caller, const std::string& device_id, UploadedFile upload,
                           storage::BlobWriter& writer);

  FileListing list(const Caller& caller, const std::string& device_id, const FileQuery& query);
  FileRecord get(const Caller& caller, const std::string& device_id, const std::string& id);
  // The file, marked accessed.
  FileRecord open_for_download(const Caller& caller, const std::string& device_id,
                               const std::string& id);
  void remove(const Caller& caller, const std::string& device_id, const std::string& id);
  // Each file in a transaction of its own; one file failing never stops the others.
  // `target` (a normalised folder) is for move and copy.
  BatchOutcome batch(const Caller& caller, const std::string& device_id, BatchOperation op,
                     const std::vector<std::string>& ids, const std::string& target);
  // The files to archive, in the order given; any unknown id is NOT_FOUND for the request.
  std::vector<FileRecord> files_for_archive(const Caller& caller, const std::string& device_id,
                                            const std::vector<std::string>& ids);
  FolderSummary create_folder(const Caller& caller, const std::string& device_id,
                              const std::string& path);
  // The device is being deleted in `c`'s transaction (its file rows go with it): its files give
  // up their blobs. Returns the step to run once that transaction committed, which removes the
  // blobs no file refers to any more.
  std::function<void()> release_device(db::Connection& c, const std::string& device_id);

 private:
  // Blob files of one key are created and deleted under one lock, so a delete that saw no
  // references never removes a blob an upload of the same bytes has just put back.
  // (Only content-addressed stores need it: with a key per upload there is nothing to race
  // on, and S3 uploads would otherwise hold a stripe across network round trips.)
  std::unique_lock<std::mutex> lock_blob(const std::string& key);
  // NOT_FOUND unless the device is the caller's; require_file also needs the file on it.
  void require_device(db::Connection& c, const Caller& caller, const std::string& device_id);
  FileRecord require_file(db::Connection& c, const Caller& caller, const std::string& device_id,
                          const std::string& id);
  // The user's storage quota in bytes; nullopt when unlimited.
  void drop_blob_if_unreferenced(const std::string& key);
  // Puts `file` at `target`/name: moved (the same row) or copied (a new row sharing the blob).
  FileRecord place(const Caller& caller, const std::string& device_id, const std::string& id,
                   const std::string& target, bool copy);
  // Creates `folder` and the folders above it that are missing; true when `folder` itself was
  // created by this call (false: it was there already, or a concurrent request made it first).
  bool ensure_folders(db::Connection& c, const std::string& device_id, const std::string& folder,
                      EpochMs now);
  // FORBIDDEN when `more` bytes would take the user past the storage quota.
  void require_quota(db::Connection& c, const std::string& user_id, std::int64_t more);
  // Bytes the user may still store (negative when over); nullopt when unlimited.
  std::optional<std::int64_t> quota_left(db::Connection& c, const std::string& user_id);

  db::Database& db_;
  storage::BlobStore& blobs_;
  devices::DeviceDirectory& devices_;
  billing::PlanDirectory& plans_;
  FileSettings settings_;
  FileStore store_;
  std::array<std::mutex, 64> blob_locks_;
};

}  // namespace karma::files
