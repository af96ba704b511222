-- Projects, tasks, avatars and the store (API.md §4, §5). Mirrors postgres/005 one for one.

CREATE TABLE avatar_work (
  task_id TEXT PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
  avatar_id TEXT NOT NULL REFERENCES avatars(id) ON DELETE CASCADE,
  in_progress BOOLEAN NOT NULL DEFAULT 0,
  assigned_at INTEGER NOT NULL,
  completed_at INTEGER,
  work_ms INTEGER,
  earned_cents INTEGER
);
CREATE INDEX idx_avatar_work_avatar ON avatar_work(avatar_id, completed_at);

CREATE TABLE avatar_acquisitions (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  avatar_id TEXT NOT NULL REFERENCES avatars(id) ON DELETE CASCADE,
  copy_id TEXT NOT NULL,
  acquired_at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
  PRIMARY KEY (user_id, avatar_id)
);

ALTER TABLE avatars ADD COLUMN prompt_author TEXT;
UPDATE avatars SET prompt_author = created_by;

-- Store search with FTS5, over public avatars only (so the index alone counts and ranks a
-- search). It keys rows by a stable integer of its own: avatars has no INTEGER PRIMARY KEY, so
-- its rowids may change on VACUUM.
CREATE TABLE avatar_search_keys (
  key INTEGER PRIMARY KEY,
  avatar_id TEXT UNIQUE NOT NULL REFERENCES avatars(id) ON DELETE CASCADE
);
CREATE VIRTUAL TABLE avatar_search USING fts5(name, role, description,
  tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER avatars_search_insert AFTER INSERT ON avatars WHEN new.is_public BEGIN
  INSERT INTO avatar_search_keys (avatar_id) VALUES (new.id);
  INSERT INTO avatar_search (rowid, name, role, description)
    VALUES (last_insert_rowid(), new.name, new.role, coalesce(new.description, ''));
END;
CREATE TRIGGER avatars_search_update AFTER UPDATE OF name, role, description, is_public
  ON avatars BEGIN
  DELETE FROM avatar_search
    WHERE rowid = (SELECT key FROM avatar_search_keys WHERE avatar_id = old.id);
  DELETE FROM avatar_search_keys WHERE avatar_id = old.id;
  INSERT INTO avatar_search_keys (avatar_id) SELECT new.id WHERE new.is_public;
  INSERT INTO avatar_search (rowid, name, role, description)
    SELECT last_insert_rowid(), new.name, new.role, coalesce(new.description, '')
    WHERE new.is_public;
END;
CREATE TRIGGER avatars_search_delete AFTER DELETE ON avatars BEGIN
  DELETE FROM avatar_search
    WHERE rowid = (SELECT key FROM avatar_search_keys WHERE avatar_id = old.id);
  DELETE FROM avatar_search_keys WHERE avatar_id = old.id;
END;
INSERT INTO avatar_search_keys (avatar_id) SELECT id FROM avatars WHERE is_public;
INSERT INTO avatar_search (rowid, name, role, description)
  SELECT k.key, a.name, a.role, coalesce(a.description, '')
  FROM avatars a JOIN avatar_search_keys k ON k.avatar_id = a.id;
-- The sort indexes below cover every public avatar; the bare one would only tempt the planner
-- into sorting all of them.
DROP INDEX idx_avatars_public;
CREATE INDEX idx_avatars_store_created ON avatars (created_at DESC, id) WHERE is_public = 1;
-- NULLs sort first in SQLite, so DESC puts unrated avatars last, as NULLS LAST asks.
CREATE INDEX idx_avatars_store_rating ON avatars (rating DESC, review_count DESC, id)
  WHERE is_public = 1;
CREATE INDEX idx_avatars_store_downloads ON avatars (download_count DESC, id) WHERE is_public = 1;
CREATE INDEX idx_avatars_store_price ON avatars (COALESCE(price, 0), id) WHERE is_public = 1;

CREATE INDEX idx_avatar_reviews_avatar ON avatar_reviews(avatar_id, created_at);
CREATE INDEX idx_tasks_project_created ON tasks(project_id, created_at);
