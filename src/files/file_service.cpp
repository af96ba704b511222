#include "files/file_service.hpp"

#include <algorithm>
#include <climits>
#include <functional>
#include <map>
#include <set>

#include <boost/json/object.hpp>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/unicode.hpp"
#include "core/validation.hpp"
#include "files/file_path.hpp"
#include "files/file_types.hpp"

namespace karma::files {
namespace {

namespace bj = boost::json;

constexpr const char* kDevice = "Device";
constexpr const char* kFile = "File";

// An upload may not take a path a folder holds, nor a file's without `overwrite`.
AppError path_taken(const std::string& path, bool by_folder) {
  return AppError(ErrorCode::conflict,
                  (by_folder ? "A folder exists at " : "A file exists at ") + path,
                  bj::object{{"field", "path"}, {"path", path}});
}

// `needle`: the query's `q`, already lower-cased (once per listing, not once per file).
bool matches(const FileRecord& f, const FileQuery& q, const std::optional<std::string>& needle) {
  if (q.type && f.type != *q.type) return false;
  if (q.category && f.category != *q.category) return false;
  if (needle && unicode_lower(f.name).find(*needle) == std::string::npos) return false;
  return true;
}

void sort_files(std::vector<FileRecord>& files, const FileQuery& q) {
  const bool desc = q.order == "desc";
  auto key_less = [&q](const FileRecord& a, const FileRecord& b) {
    if (q.sort == "size" && a.size != b.size) return a.size < b.size;
    if (q.sort == "createdAt" && a.created_at != b.created_at) return a.created_at < b.created_at;
    if (q.sort == "modifiedAt" && a.modified_at != b.modified_at)
      return a.modified_at < b.modified_at;
    return a.path < b.path;
  };
  std::sort(files.begin(), files.end(), [&](const FileRecord& a, const FileRecord& b) {
    return desc ? key_less(b, a) : key_less(a, b);
  });
}

// "/a/b/c" below "/a" → "b"; empty when `path` is not strictly below `folder`.
std::string_view first_segment_below(std::string_view path, std::string_view folder) {
  if (!is_within(path, folder) || path == folder) return {};
  std::string_view rest = path.substr(folder == "/" ? 1 : folder.size() + 1);
  return rest.substr(0, rest.find('/'));
}

}  // namespace

FileService::FileService(db::Database& db, storage::BlobStore& blobs,
                         devices::DeviceDirectory& devices, billing::PlanDirectory& plans,
                         FileSettings settings)
    : db_(db), blobs_(blobs), devices_(devices), plans_(plans), settings_(settings) {}

std::unique_lock<std::mutex> FileService::lock_blob(const std::string& key) {
  if (!blobs_.content_addressed()) return {};
  return std::unique_lock(blob_locks_[std::hash<std::string>{}(key) % blob_locks_.size()]);
}

void FileService::require_device(const Caller& caller, const std::string& device_id) {
  auto c = db_.acquire();
  require_device(*c, caller, device_id);
}

void FileService::require_device(db::Connection& c, const Caller& caller,
                                 const std::string& device_id) {
  devices_.require_owned(c, caller, device_id);
}

FileRecord FileService::require_file(db::Connection& c, const Caller& caller,
                                     const std::string& device_id, const std::string& id) {
  require_device(c, caller, device_id);
  auto file = crypto::is_uuid(id) ? store_.find_file(c, device_id, id) : std::nullopt;
  if (!file) throw AppError::not_found(kFile);
  return std::move(*file);
}

std::optional<std::int64_t> FileService::quota_left(db::Connection& c, const std::string& user_id) {
  const auto quota = plans_.storage_quota(c, user_id);
  if (!quota) return std::nullopt;
  return *quota - store_.used_bytes(c, devices_.device_ids_of(c, user_id));
}

std::int64_t FileService::remaining_quota(const Caller& caller) {
  auto c = db_.acquire();
  const auto left = quota_left(*c, caller.user_id);
  return left ? std::max<std::int64_t>(0, *left) : INT64_MAX;
}

void FileService::require_file_size(std::int64_t size) const {
  if (size > settings_.max_file_bytes)
    throw AppError::too_large("File exceeds " + std::to_string(settings_.max_file_bytes) + " bytes",
                              settings_.max_file_bytes);
}

std::int64_t FileService::check_upload(const Caller& caller, const std::string& device_id,
                                       const std::string& folder, const std::string& name,
                                       std::int64_t size, bool overwrite) {
  require_file_size(size);
  const std::string path = join_path(folder, name);
  if (path.size() > kMaxPathBytes) throw AppError::invalid("path", "too long");
  auto c = db_.acquire();
  require_device(*c, caller, device_id);
  const auto existing = store_.find_by_path(*c, device_id, path);
  if (existing && (existing->is_directory || !overwrite))
    throw path_taken(path, existing->is_directory);
  const auto quota = quota_left(*c, caller.user_id);
  if (!quota) return INT64_MAX;
  // An overwrite frees what it replaces.
  const std::int64_t left = std::max<std::int64_t>(0, *quota + (existing ? existing->size : 0));
  if (size > left) throw AppError::plan_limit("Storage quota exceeded", left);
  return left;
}

bool FileService::ensure_folders(db::Connection& c, const std::string& device_id,
                                 const std::string& folder, EpochMs now) {
  if (folder == "/") return false;
  ensure_folders(c, device_id, parent_path(folder), now);
  const auto existing = store_.find_by_path(c, device_id, folder);
  if (existing && !existing->is_directory)
    throw AppError(ErrorCode::conflict, "A file is in the way of folder " + folder,
                   bj::object{{"field", "path"}, {"path", folder}});
  if (existing) return false;
  FileRecord row;
  row.id = crypto::uuid_v4();
  row.device_id = device_id;
  row.name = std::string(base_name(folder));
  row.path = folder;
  row.parent_path = parent_path(folder);
  row.is_directory = true;
  row.created_at = row.modified_at = now;
  return store_.insert_folder_if_missing(c, row);
}

void FileService::require_quota(db::Connection& c, const std::string& user_id, std::int64_t more) {
  const auto quota = plans_.storage_quota(c, user_id);
  if (quota && store_.used_bytes(c, devices_.device_ids_of(c, user_id)) + more > *quota)
    throw AppError::plan_limit("Storage quota exceeded", *quota);
}

FileRecord FileService::record_upload(const Caller& caller, const std::string& device_id,
                                      UploadedFile upload, storage::BlobWriter& writer) {
  const FileKind kind = classify(upload.name, upload.head);
  const std::string path = join_path(upload.folder, upload.name);
  if (path.size() > kMaxPathBytes) throw AppError::invalid("path", "too long");
  FileRecord result;
  std::string replaced_key;
  {
    const auto lock = lock_blob(upload.sha256);
    const std::string key = writer.commit(upload.sha256);
    try {
      db_.transaction([&](db::Connection& c) {
        require_device(c, caller, device_id);
        const EpochMs now = now_ms();
        // `file` with this upload as its content.
        const auto with_upload = [&](FileRecord file) {
          file.type = kind.type;
          file.category = upload.category;
          file.size = upload.size;
          file.mime_type = kind.mime_type;
          file.extension = kind.extension;
          file.storage_key = key;
          file.checksum_md5 = upload.md5;
          file.checksum_sha256 = upload.sha256;
          file.modified_at = now;
          return file;
        };
        // Locked: of racing overwrites each replaces the content the previous one left, and
        // releases that blob, not one it read before the other committed.
        auto existing = store_.lock_by_path(c, device_id, path);
        if (!existing) {
          // Checked again here: two uploads may each have fitted when they started.
          require_quota(c, caller.user_id, upload.size);
          ensure_folders(c, device_id, upload.folder, now);
          FileRecord fresh;
          fresh.id = crypto::uuid_v4();
          fresh.device_id = device_id;
          fresh.name = upload.name;
          fresh.path = path;
          fresh.parent_path = upload.folder;
          fresh.created_at = now;
          FileRecord f = with_upload(std::move(fresh));
          if (store_.insert_if_absent(c, f)) {
            store_.reference_blob(c, key, upload.size);
            result = std::move(f);
            return;
          }
          // A concurrent upload of the path committed first; its row is visible now.
          existing = store_.lock_by_path(c, device_id, path);
        }
        if (!existing || existing->is_directory || !upload.overwrite)
          throw path_taken(path, existing && existing->is_directory);
        require_quota(c, caller.user_id, upload.size - existing->size);
        replaced_key = existing->storage_key;
        FileRecord f = with_upload(std::move(*existing));
        store_.replace_content(c, f);
        store_.release_blob(c, replaced_key);
        store_.reference_blob(c, key, upload.size);
        result = std::move(f);
      });
    } catch (...) {
      // Unless earlier files hold the same bytes, nothing refers to the blob now.
      auto c = db_.acquire();
      if (store_.blob_references(*c, key) == 0) blobs_.remove(key);
      throw;
    }
  }
  if (!replaced_key.empty() && replaced_key != result.storage_key)
    drop_blob_if_unreferenced(replaced_key);
  return result;
}

std::function<void()> FileService::release_device(db::Connection& c, const std::string& device_id) {
  return [this, unreferenced = store_.release_device_blobs(c, device_id)] {
    for (const auto& key : unreferenced) drop_blob_if_unreferenced(key);
  };
}

void FileService::drop_blob_if_unreferenced(const std::string& key) {
  const auto lock = lock_blob(key);
  auto c = db_.acquire();
  if (store_.blob_references(*c, key) == 0) blobs_.remove(key);
}

FileListing FileService::list(const Caller& caller, const std::string& device_id,
                              const FileQuery& query) {
  std::vector<FileRecord> entries;
  {
    auto c = db_.acquire();
    require_device(*c, caller, device_id);
    entries = store_.under(*c, device_id, query.path);
  }
  FileListing listing;
  const std::optional<std::string> needle =
      query.q ? std::optional(unicode_lower(*query.q)) : std::nullopt;
  std::map<std::string, FolderSummary, std::less<>> folders;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> subfolders;
  for (const auto& e : entries) {
    if (!e.is_directory) listing.total_size += e.size;
    const std::string_view child = first_segment_below(e.path, query.path);
    if (child.empty()) continue;  // the folder itself
    const bool direct = e.parent_path == query.path;
    if (!e.is_directory && (direct || query.recursive) && matches(e, query, needle))
      listing.files.push_back(e);
    if (direct && !e.is_directory) continue;
    // Below (or being) the child folder `child`.
    FolderSummary& folder = folders[std::string(child)];
    folder.name = std::string(child);
    folder.path = join_path(query.path, child);
    if (e.path == folder.path) {
      folder.id = e.id;
      folder.created_at = e.created_at;
      folder.modified_at = std::max(folder.modified_at, e.modified_at);
      continue;
    }
    if (!e.is_directory) folder.total_size += e.size;
    folder.modified_at = std::max(folder.modified_at, e.modified_at);
    if (folder.created_at == 0 || e.created_at < folder.created_at)
      folder.created_at = e.created_at;
    if (e.parent_path == folder.path && !e.is_directory) ++folder.file_count;
    const std::string_view grandchild = first_segment_below(e.path, folder.path);
    if (!grandchild.empty() && (e.is_directory || e.parent_path != folder.path))
      subfolders[folder.path].emplace(grandchild);
  }
  for (auto& [name, folder] : folders) {
    folder.folder_count = static_cast<std::int64_t>(subfolders[folder.path].size());
    listing.folders.push_back(std::move(folder));
  }
  sort_files(listing.files, query);
  return listing;
}

FileRecord FileService::get(const Caller& caller, const std::string& device_id,
                            const std::string& id) {
  auto c = db_.acquire();
  return require_file(*c, caller, device_id, id);
}

FileRecord FileService::open_for_download(const Caller& caller, const std::string& device_id,
                                          const std::string& id) {
  auto c = db_.acquire();
  FileRecord file = require_file(*c, caller, device_id, id);
  const EpochMs now = now_ms();
  store_.touch_accessed(*c, file.id, now);
  file.accessed_at = now;
  return file;
}

void FileService::remove(const Caller& caller, const std::string& device_id,
                         const std::string& id) {
  const std::string key = db_.transaction([&](db::Connection& c) {
    const FileRecord file = require_file(c, caller, device_id, id);
    if (!store_.remove(c, file.id)) throw AppError::not_found(kFile);
    store_.release_blob(c, file.storage_key);
    return file.storage_key;
  });
  drop_blob_if_unreferenced(key);
}

FileRecord FileService::place(const Caller& caller, const std::string& device_id,
                              const std::string& id, const std::string& target, bool copy) {
  return db_.transaction([&](db::Connection& c) {
    FileRecord file = require_file(c, caller, device_id, id);
    const std::string path = join_path(target, file.name);
    if (path.size() > kMaxPathBytes)
      throw AppError(ErrorCode::validation, "targetPath: too long for " + file.name);
    if (path == file.path && !copy) return file;
    if (store_.find_by_path(c, device_id, path))
      throw AppError(ErrorCode::conflict, "Something already exists at " + path);
    const EpochMs now = now_ms();
    ensure_folders(c, device_id, target, now);
    if (copy) {
      require_quota(c, caller.user_id, file.size);
      file.id = crypto::uuid_v4();
      file.created_at = now;
      file.accessed_at.reset();
    }
    file.path = path;
    file.parent_path = target;
    file.modified_at = now;
    if (copy) {
      store_.insert(c, file);
      store_.reference_blob(c, file.storage_key, file.size);
    } else {
      store_.move(c, file.id, path, target, now);
    }
    return file;
  });
}

BatchOutcome FileService::batch(const Caller& caller, const std::string& device_id,
                                BatchOperation op, const std::vector<std::string>& ids,
                                const std::string& target) {
  require_device(caller, device_id);
  BatchOutcome outcome;
  for (const auto& given : ids) {
    const std::string id = ascii_lower(given);  // ids match in their canonical spelling
    try {
      if (!crypto::is_uuid(id)) throw AppError::not_found(kFile);
      if (op == BatchOperation::remove) {
        remove(caller, device_id, id);
      } else {
        outcome.files.push_back(place(caller, device_id, id, target, op == BatchOperation::copy));
      }
      outcome.succeeded.push_back(given);
    } catch (const AppError& e) {
      outcome.failed.push_back({given, code_name(e.code()), e.what()});
    }
  }
  return outcome;
}

std::vector<FileRecord> FileService::files_for_archive(const Caller& caller,
                                                       const std::string& device_id,
                                                       const std::vector<std::string>& ids) {
  auto c = db_.acquire();
  require_device(*c, caller, device_id);
  std::vector<FileRecord> files;
  for (const auto& id : ids) {
    const std::string canonical = ascii_lower(id);
    auto file =
        crypto::is_uuid(canonical) ? store_.find_file(*c, device_id, canonical) : std::nullopt;
    if (!file)
      throw AppError(ErrorCode::not_found, "File not found: " + id, bj::object{{"id", id}});
    files.push_back(std::move(*file));
  }
  return files;
}

FolderSummary FileService::create_folder(const Caller& caller, const std::string& device_id,
                                         const std::string& path) {
  if (path == "/") throw AppError::invalid("path", "the root folder always exists");
  // 201 once, 409 for every later (or concurrently losing) request: the insert decides.
  db_.transaction([&](db::Connection& c) {
    require_device(c, caller, device_id);
    if (!ensure_folders(c, device_id, path, now_ms()))
      throw AppError::conflict("Something already exists at " + path, "path");
  });
  FileQuery parent;
  parent.path = parent_path(path);
  for (auto& folder : list(caller, device_id, parent).folders)
    if (folder.path == path) return folder;
  throw AppError(ErrorCode::internal, "created folder not found");
}

}  // namespace karma::files
