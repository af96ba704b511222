-- One run per agent thread at a time (API.md §7): the run holding it, until when (a crashed
-- instance's hold lapses). Mirrors sqlite/007.
ALTER TABLE agent_threads ADD COLUMN active_run_id TEXT;
ALTER TABLE agent_threads ADD COLUMN active_until TIMESTAMPTZ;

-- Human-in-the-loop: what the user is asked, until when, and the tool's result once answered
-- (a replayed resume gets it again instead of a second execution). Status: pending, then
-- resolved, cancelled or expired.
ALTER TABLE agent_interrupts ADD COLUMN message TEXT NOT NULL DEFAULT '';
ALTER TABLE agent_interrupts ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE agent_interrupts ADD COLUMN result TEXT;

-- An avatar the agent runs as is working until its run ends (or its deadline passes, should the
-- instance running it die).
ALTER TABLE avatars ADD COLUMN agent_run_until TIMESTAMPTZ;
