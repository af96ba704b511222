-- Stamps that say when a cached answer is stale (see src/core/stamped_cache.hpp). Mirrors
-- sqlite/006 one for one. Triggers keep them, so every writer — another feature, a foreign
-- key's cascade — moves them in its own transaction.

-- A project's revision moves with anything its list entry shows: the project (its store bumps
-- it), members, tasks, members' names and pictures, assigned avatars' names and pictures.
-- Task and member writes already lock their project's row (its updated_at moves with them), so
-- these add no lock a writer did not take.
ALTER TABLE projects ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION revise_project_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE projects SET revision = revision + 1 WHERE id = OLD.project_id;
  ELSE
    UPDATE projects SET revision = revision + 1 WHERE id = NEW.project_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER tasks_revise_project AFTER INSERT OR UPDATE OR DELETE ON tasks
  FOR EACH ROW EXECUTE FUNCTION revise_project_of_row();
CREATE TRIGGER members_revise_project AFTER INSERT OR UPDATE OR DELETE ON project_members
  FOR EACH ROW EXECUTE FUNCTION revise_project_of_row();

CREATE FUNCTION revise_projects_of_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE projects SET revision = revision + 1
    WHERE id IN (SELECT project_id FROM project_members WHERE user_id = NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER users_revise_projects AFTER UPDATE OF name, avatar ON users FOR EACH ROW
  WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.avatar IS DISTINCT FROM NEW.avatar)
  EXECUTE FUNCTION revise_projects_of_member();

CREATE FUNCTION revise_projects_of_assignee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE projects SET revision = revision + 1
    WHERE id IN (SELECT project_id FROM tasks WHERE assignee_avatar_id = NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER avatars_revise_projects AFTER UPDATE OF name, avatar_url ON avatars FOR EACH ROW
  WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.avatar_url IS DISTINCT FROM NEW.avatar_url)
  EXECUTE FUNCTION revise_projects_of_assignee();

-- The store's revision moves with anything a store answer shows: public avatars (or one
-- leaving the store) and their work (performance, earnings).
CREATE TABLE store_revision (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision BIGINT NOT NULL
);
INSERT INTO store_revision (id, revision) VALUES (1, 0);

CREATE FUNCTION revise_store() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE store_revision SET revision = revision + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER avatars_revise_store_insert AFTER INSERT ON avatars FOR EACH ROW
  WHEN (NEW.is_public) EXECUTE FUNCTION revise_store();
CREATE TRIGGER avatars_revise_store_update AFTER UPDATE ON avatars FOR EACH ROW
  WHEN (OLD.is_public OR NEW.is_public) EXECUTE FUNCTION revise_store();
CREATE TRIGGER avatars_revise_store_delete AFTER DELETE ON avatars FOR EACH ROW
  WHEN (OLD.is_public) EXECUTE FUNCTION revise_store();

-- A trigger's WHEN may not hold a subquery here: the function asks whether the avatar is public.
CREATE FUNCTION revise_store_for_work() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  avatar UUID;
BEGIN
  IF TG_OP = 'DELETE' THEN avatar := OLD.avatar_id; ELSE avatar := NEW.avatar_id; END IF;
  IF EXISTS (SELECT 1 FROM avatars WHERE id = avatar AND is_public) THEN
    UPDATE store_revision SET revision = revision + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER work_revise_store AFTER INSERT OR UPDATE OR DELETE ON avatar_work
  FOR EACH ROW EXECUTE FUNCTION revise_store_for_work();
