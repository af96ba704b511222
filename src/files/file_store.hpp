#pragma once
// SQL for device files, folders and blob reference counts (no HTTP, no rules).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "db/database.hpp"

namespace karma::files {

struct FileRecord {
  std::string id;
  std::string device_id;
  std::string name;
  std::string path;
  std::string parent_path;
  bool is_directory = false;
  std::string type;
  std::string category;
  std::int64_t size = 0;
  std::string mime_type;
  std::string extension;
  std::string storage_key;
  std::string checksum_md5;
  std::string checksum_sha256;
  EpochMs created_at = 0;
  EpochMs modified_at = 0;
  std::optional<EpochMs> accessed_at;
};

class FileStore {
 public:
  // A file (not a folder) of the device.
  std::optional<FileRecord> find_file(db::Connection& c, const std::string& device_id,
                                      const std::string& id);
  std::optional<FileRecord> find_by_path(db::Connection& c, const std::string& device_id,
                                         const std::string& path);
  // The same, locked for the rest of the transaction (the caller goes on to change it).
  std::optional<FileRecord> lock_by_path(db::Connection& c, const std::string& device_id,
                                         const std::string& path);
  // Every entry at or below `folder` ("/" for all of them).
  std::vector<FileRecord> under(db::Connection& c, const std::string& device_id,
                                const std::string& folder);
  void insert(db::Connection& c, const FileRecord& f);
  // Inserts a file unless its path is taken; false when it was (by a concurrent upload too:
  // on PostgreSQL the statement waits for that upload's transaction to end).
  bool insert_if_absent(db::Connection& c, const FileRecord& f);
  // Inserts a folder row unless the path is taken (by a folder or a file); false when it was.
  bool insert_folder_if_missing(db::Connection& c, const FileRecord& folder);
  // New content for an existing file (overwrite).
  void replace_content(db::Connection& c, const FileRecord& f);
  bool remove(db::Connection& c, const std::string& id);
  void move(db::Connection& c, const std::string& id, const std::string& path,
            const std::string& parent_path, EpochMs now);
  void touch_accessed(db::Connection& c, const std::string& id, EpochMs now);
  // Bytes of every file of these devices.
  std::int64_t used_bytes(db::Connection& c, const std::vector<std::string>& device_ids);

  void reference_blob(db::Connection& c, const std::string& key, std::int64_t size);
  // The references left after dropping one; the row goes with the last.
  std::int64_t release_blob(db::Connection& c, const std::string& key);
  std::int64_t blob_references(db::Connection& c, const std::string& key);
  // Drops the references the device's files hold (before its rows go), in two statements
  // however many files it has; returns the keys nothing refers to any more.
  std::vector<std::string> release_device_blobs(db::Connection& c, const std::string& device_id);
};

}  // namespace karma::files
