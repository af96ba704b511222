#include "files/file_store.hpp"

#include "db/sql.hpp"

namespace karma::files {
namespace {

using db::Timestamp;
using db::Value;

constexpr const char* kColumns =
    "id, device_id, name, path, parent_path, is_directory, type, category, size, mime_type, "
    "extension, storage_url, checksum_md5, checksum_sha256, created_at, modified_at, "
    "accessed_at";

FileRecord file_from(const db::Row& r) {
  FileRecord f;
  f.id = r.text(0);
  f.device_id = r.text(1);
  f.name = r.text(2);
  f.path = r.text(3);
  f.parent_path = r.text(4);
  f.is_directory = r.boolean(5);
  f.type = r.text(6);
  f.category = r.text(7);
  f.size = r.integer(8);
  f.mime_type = r.text(9);
  f.extension = r.text(10);
  f.storage_key = r.text(11);
  f.checksum_md5 = r.text(12);
  f.checksum_sha256 = r.text(13);
  f.created_at = r.time(14);
  f.modified_at = r.time(15);
  f.accessed_at = r.opt_time(16);
  return f;
}

std::optional<FileRecord> first_file(const db::Result& r) {
  if (r.empty()) return std::nullopt;
  return file_from(r.first());
}

}  // namespace

std::optional<FileRecord> FileStore::find_file(db::Connection& c, const std::string& device_id,
                                               const std::string& id) {
  return first_file(c.query(std::string("SELECT ") + kColumns +
                                " FROM device_files WHERE id = $1 AND device_id = $2 AND "
                                "is_directory = $3",
                            {id, device_id, false}));
}

namespace {

std::optional<FileRecord> by_path(db::Connection& c, const std::string& device_id,
                                  const std::string& path, std::string_view lock) {
  return first_file(c.query(std::string("SELECT ") + kColumns +
                                " FROM device_files WHERE device_id = $1 AND path = $2" +
                                std::string(lock),
                            {device_id, path}));
}

}  // namespace

std::optional<FileRecord> FileStore::find_by_path(db::Connection& c, const std::string& device_id,
                                                  const std::string& path) {
  return by_path(c, device_id, path, "");
}

std::optional<FileRecord> FileStore::lock_by_path(db::Connection& c, const std::string& device_id,
                                                  const std::string& path) {
  return by_path(c, device_id, path, db::row_lock(c.dialect()));
}

std::vector<FileRecord> FileStore::under(db::Connection& c, const std::string& device_id,
                                         const std::string& folder) {
  db::Result r;
  if (folder == "/") {
    r = c.query(std::string("SELECT ") + kColumns + " FROM device_files WHERE device_id = $1",
                {device_id});
  } else {
    // The LIKE prefix is escaped: a folder named "a_b" must not match "axb".
    r = c.query(std::string("SELECT ") + kColumns +
                    " FROM device_files WHERE device_id = $1 AND (path = $2 OR path LIKE $3 "
                    "ESCAPE '\\')",
                {device_id, folder, db::prefix_pattern(folder + "/")});
  }
  std::vector<FileRecord> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) out.push_back(file_from(row));
  return out;
}

namespace {

constexpr const char* kInsertFile =
    "INSERT INTO device_files (id, device_id, name, path, parent_path, is_directory, type, "
    "category, size, mime_type, extension, storage_url, checksum_md5, checksum_sha256, "
    "created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
    "$14, $15, $16)";

db::Params file_params(const FileRecord& f) {
  return {f.id,
          f.device_id,
          f.name,
          f.path,
          f.parent_path,
          f.is_directory,
          f.type,
          f.category,
          f.size,
          f.mime_type,
          f.extension,
          f.storage_key,
          f.checksum_md5,
          f.checksum_sha256,
          Timestamp{f.created_at},
          Timestamp{f.modified_at}};
}

}  // namespace

void FileStore::insert(db::Connection& c, const FileRecord& f) {
  c.query(kInsertFile, file_params(f));
}

bool FileStore::insert_if_absent(db::Connection& c, const FileRecord& f) {
  return c.query(std::string(kInsertFile) + " ON CONFLICT (device_id, path) DO NOTHING",
                 file_params(f))
             .affected == 1;
}

bool FileStore::insert_folder_if_missing(db::Connection& c, const FileRecord& f) {
  return c.query(
              "INSERT INTO device_files (id, device_id, name, path, parent_path, is_directory, "
              "type, category, size, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $6, "
              "'folder', 'user', 0, $7, $7) ON CONFLICT (device_id, path) DO NOTHING",
              {f.id, f.device_id, f.name, f.path, f.parent_path, true, Timestamp{f.created_at}})
             .affected == 1;
}

void FileStore::replace_content(db::Connection& c, const FileRecord& f) {
  c.query(
      "UPDATE device_files SET type = $1, category = $2, size = $3, mime_type = $4, "
      "extension = $5, storage_url = $6, checksum_md5 = $7, checksum_sha256 = $8, "
      "modified_at = $9 WHERE id = $10",
      {f.type, f.category, f.size, f.mime_type, f.extension, f.storage_key, f.checksum_md5,
       f.checksum_sha256, Timestamp{f.modified_at}, f.id});
}

bool FileStore::remove(db::Connection& c, const std::string& id) {
  return c.query("DELETE FROM device_files WHERE id = $1", {id}).affected == 1;
}

void FileStore::move(db::Connection& c, const std::string& id, const std::string& path,
                     const std::string& parent_path, EpochMs now) {
  c.query("UPDATE device_files SET path = $1, parent_path = $2, modified_at = $3 WHERE id = $4",
          {path, parent_path, Timestamp{now}, id});
}

void FileStore::touch_accessed(db::Connection& c, const std::string& id, EpochMs now) {
  c.query("UPDATE device_files SET accessed_at = $1 WHERE id = $2", {Timestamp{now}, id});
}

std::int64_t FileStore::used_bytes(db::Connection& c, const std::vector<std::string>& device_ids) {
  if (device_ids.empty()) return 0;
  std::string sql = "SELECT COALESCE(SUM(size), 0) FROM device_files WHERE device_id IN (";
  db::Params params;
  for (const auto& id : device_ids) {
    if (!params.empty()) sql += ", ";
    params.emplace_back(id);
    sql += "$" + std::to_string(params.size());
  }
  sql += ")";
  return c.query(sql, params).first().integer(0);
}

void FileStore::reference_blob(db::Connection& c, const std::string& key, std::int64_t size) {
  c.query(
      "INSERT INTO blobs (storage_key, size, ref_count) VALUES ($1, $2, 1) "
      "ON CONFLICT (storage_key) DO UPDATE SET ref_count = blobs.ref_count + 1",
      {key, size});
}

std::int64_t FileStore::release_blob(db::Connection& c, const std::string& key) {
  const auto r = c.query(
      "UPDATE blobs SET ref_count = ref_count - 1 WHERE storage_key = $1 RETURNING ref_count",
      {key});
  if (r.empty()) return 0;
  const std::int64_t left = r.first().integer(0);
  if (left == 0) c.query("DELETE FROM blobs WHERE storage_key = $1 AND ref_count = 0", {key});
  return left;
}

std::int64_t FileStore::blob_references(db::Connection& c, const std::string& key) {
  const auto r = c.query("SELECT ref_count FROM blobs WHERE storage_key = $1", {key});
  return r.empty() ? 0 : r.first().integer(0);
}

std::vector<std::string> FileStore::release_device_blobs(db::Connection& c,
                                                         const std::string& device_id) {
  const auto released = c.query(
      "UPDATE blobs SET ref_count = blobs.ref_count - held.files FROM (SELECT storage_url AS key, "
      "COUNT(*) AS files FROM device_files WHERE device_id = $1 AND storage_url IS NOT NULL "
      "GROUP BY storage_url) AS held WHERE blobs.storage_key = held.key "
      "RETURNING storage_key, ref_count",
      {device_id});
  std::vector<std::string> unreferenced;
  for (const auto& row : released.rows)
    if (row.integer(1) == 0) unreferenced.push_back(row.text(0));
  if (!unreferenced.empty())
    c.query(
        "DELETE FROM blobs WHERE ref_count = 0 AND storage_key IN "
        "(SELECT storage_url FROM device_files WHERE device_id = $1)",
        {device_id});
  return unreferenced;
}

}  // namespace karma::files
