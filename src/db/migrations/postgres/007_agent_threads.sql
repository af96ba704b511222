-- Agent threads (API.md §7): messages and shared state per threadId, owned by one user; one run
-- at a time (active_run_id until active_until, after which a crashed instance's claim lapses).
-- Mirrors sqlite/007 one for one. Thread and message ids are the client's: any string.
CREATE TABLE agent_threads (
  id TEXT PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  state JSONB NOT NULL DEFAULT '{}',
  active_run_id TEXT,
  active_until TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_agent_threads_user ON agent_threads(user_id, updated_at);

CREATE TABLE agent_messages (
  thread_id TEXT NOT NULL REFERENCES agent_threads(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL DEFAULT '',
  tool_calls JSONB,
  tool_call_id TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (thread_id, id)
);
CREATE UNIQUE INDEX idx_agent_messages_order ON agent_messages(thread_id, seq);
