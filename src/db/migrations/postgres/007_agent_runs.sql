-- One run per agent thread at a time (API.md §7): the run holding it, until when (a crashed
-- instance's hold lapses). Mirrors sqlite/007.
ALTER TABLE agent_threads ADD COLUMN active_run_id TEXT;
ALTER TABLE agent_threads ADD COLUMN active_until TIMESTAMPTZ;
