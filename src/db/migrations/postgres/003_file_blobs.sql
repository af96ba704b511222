-- Blob reference counts: copies of a file share one blob, removed with its last reference.
CREATE TABLE blobs (
  storage_key TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  ref_count INTEGER NOT NULL CHECK (ref_count >= 0)
);
-- A path names one entry (file or folder) per device; listings walk a folder's children.
DROP INDEX idx_files_path;
CREATE UNIQUE INDEX idx_files_device_path ON device_files(device_id, path);
CREATE INDEX idx_files_device_parent ON device_files(device_id, parent_path);
