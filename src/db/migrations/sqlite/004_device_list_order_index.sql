-- The default device order (created_at, then id as the tie-break) entirely from the index, in
-- both directions: with only (user_id, created_at) every page sorted all of a user's devices.
DROP INDEX idx_devices_user_created;
CREATE INDEX idx_devices_user_created_id ON devices(user_id, created_at, id);
