-- Projects, tasks, avatars and the store (API.md §4, §5).

-- The work an avatar was given: one row per task assigned to it. Its performance and earnings
-- are sums over these rows, kept in the transaction that changes the task; a deleted task or
-- avatar takes its rows along.
CREATE TABLE avatar_work (
  task_id UUID PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
  avatar_id UUID NOT NULL REFERENCES avatars(id) ON DELETE CASCADE,
  in_progress BOOLEAN NOT NULL DEFAULT false,
  assigned_at TIMESTAMPTZ NOT NULL,
  completed_at TIMESTAMPTZ,
  work_ms BIGINT,       -- assignment to completion
  earned_cents BIGINT   -- the avatar's price per task when it completed
);
CREATE INDEX idx_avatar_work_avatar ON avatar_work(avatar_id, completed_at);

-- Who acquired which store avatar (once each), and the copy they got.
CREATE TABLE avatar_acquisitions (
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  avatar_id UUID NOT NULL REFERENCES avatars(id) ON DELETE CASCADE,
  copy_id UUID NOT NULL,
  acquired_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (user_id, avatar_id)
);

-- Whose system prompt an avatar carries: its creator's, or on a store copy the original
-- author's (the buyer may use it, not read it).
ALTER TABLE avatars ADD COLUMN prompt_author UUID;
UPDATE avatars SET prompt_author = created_by;

-- Store search: name weighs most, then role, then description; words as written (no stemming,
-- as on SQLite).
ALTER TABLE avatars ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
  setweight(to_tsvector('simple', coalesce(role, '')), 'B') ||
  setweight(to_tsvector('simple', coalesce(description, '')), 'C')) STORED;
CREATE INDEX idx_avatars_search ON avatars USING GIN (search) WHERE is_public;
-- The sort indexes below cover every public avatar; the bare one would only tempt the planner
-- into sorting all of them.
DROP INDEX idx_avatars_public;
-- The store's sort orders, each read from an index in order (a page costs its rows).
CREATE INDEX idx_avatars_store_created ON avatars (created_at DESC, id) WHERE is_public;
CREATE INDEX idx_avatars_store_rating ON avatars (rating DESC NULLS LAST, review_count DESC, id)
  WHERE is_public;
CREATE INDEX idx_avatars_store_downloads ON avatars (download_count DESC, id) WHERE is_public;
CREATE INDEX idx_avatars_store_price ON avatars ((COALESCE(price, 0)), id) WHERE is_public;

CREATE INDEX idx_avatar_reviews_avatar ON avatar_reviews(avatar_id, created_at);
CREATE INDEX idx_tasks_project_created ON tasks(project_id, created_at);
