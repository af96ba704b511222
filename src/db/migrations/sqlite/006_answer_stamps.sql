-- Stamps that say when a cached answer is stale (see src/core/stamped_cache.hpp). Mirrors
-- postgres/006 one for one. Triggers keep them, so every writer — another feature, a foreign
-- key's cascade — moves them in its own transaction.

-- A project's revision moves with anything its list entry shows: the project (its store bumps
-- it), members, tasks, members' names and pictures, assigned avatars' names and pictures.
ALTER TABLE projects ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER tasks_revise_project_insert AFTER INSERT ON tasks BEGIN
  UPDATE projects SET revision = revision + 1 WHERE id = new.project_id;
END;
CREATE TRIGGER tasks_revise_project_update AFTER UPDATE ON tasks BEGIN
  UPDATE projects SET revision = revision + 1 WHERE id = new.project_id;
END;
CREATE TRIGGER tasks_revise_project_delete AFTER DELETE ON tasks BEGIN
  UPDATE projects SET revision = revision + 1 WHERE id = old.project_id;
END;
CREATE TRIGGER members_revise_project_insert AFTER INSERT ON project_members BEGIN
  UPDATE projects SET revision = revision + 1 WHERE id = new.project_id;
END;
CREATE TRIGGER members_revise_project_update AFTER UPDATE ON project_members BEGIN
  UPDATE projects SET revision = revision + 1 WHERE id = new.project_id;
END;
CREATE TRIGGER members_revise_project_delete AFTER DELETE ON project_members BEGIN
  UPDATE projects SET revision = revision + 1 WHERE id = old.project_id;
END;
CREATE TRIGGER users_revise_projects AFTER UPDATE OF name, avatar ON users
  WHEN old.name IS NOT new.name OR old.avatar IS NOT new.avatar BEGIN
  UPDATE projects SET revision = revision + 1
    WHERE id IN (SELECT project_id FROM project_members WHERE user_id = new.id);
END;
CREATE TRIGGER avatars_revise_projects AFTER UPDATE OF name, avatar_url ON avatars
  WHEN old.name IS NOT new.name OR old.avatar_url IS NOT new.avatar_url BEGIN
  UPDATE projects SET revision = revision + 1
    WHERE id IN (SELECT project_id FROM tasks WHERE assignee_avatar_id = new.id);
END;

-- The store's revision moves with anything a store answer shows: public avatars (or one
-- leaving the store) and their work (performance, earnings).
CREATE TABLE store_revision (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL
);
INSERT INTO store_revision (id, revision) VALUES (1, 0);
CREATE TRIGGER avatars_revise_store_insert AFTER INSERT ON avatars WHEN new.is_public BEGIN
  UPDATE store_revision SET revision = revision + 1;
END;
CREATE TRIGGER avatars_revise_store_update AFTER UPDATE ON avatars
  WHEN old.is_public OR new.is_public BEGIN
  UPDATE store_revision SET revision = revision + 1;
END;
CREATE TRIGGER avatars_revise_store_delete AFTER DELETE ON avatars WHEN old.is_public BEGIN
  UPDATE store_revision SET revision = revision + 1;
END;
CREATE TRIGGER work_revise_store_insert AFTER INSERT ON avatar_work
  WHEN (SELECT is_public FROM avatars WHERE id = new.avatar_id) BEGIN
  UPDATE store_revision SET revision = revision + 1;
END;
CREATE TRIGGER work_revise_store_update AFTER UPDATE ON avatar_work
  WHEN (SELECT is_public FROM avatars WHERE id = new.avatar_id) BEGIN
  UPDATE store_revision SET revision = revision + 1;
END;
CREATE TRIGGER work_revise_store_delete AFTER DELETE ON avatar_work
  WHEN (SELECT is_public FROM avatars WHERE id = old.avatar_id) BEGIN
  UPDATE store_revision SET revision = revision + 1;
END;
