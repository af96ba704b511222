-- The device list's default order (newest first) straight from an index.
CREATE INDEX idx_devices_user_created ON devices(user_id, created_at);
