-- The default device order (created_at, then id as the tie-break) entirely from the index, in
-- both directions: with only (user_id, created_at) every page sorted all of a user's devices.
-- Its prefix serves lookups by user, so the user_id index goes: left beside it, a planner
-- without statistics yet (a freshly filled table) picked it and sorted.
DROP INDEX idx_devices_user_created;
DROP INDEX idx_devices_user_id;
CREATE INDEX idx_devices_user_created_id ON devices(user_id, created_at, id);
