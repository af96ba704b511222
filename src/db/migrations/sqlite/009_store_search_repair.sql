-- The store index forgot deleted avatars (SQLite only; PostgreSQL's index is a generated column).
-- avatar_search_keys cascades on the avatar's delete, and a foreign key's cascade runs before
-- AFTER DELETE triggers, so avatars_search_delete found no key and left the avatar's FTS row
-- behind: the store counted it, and the next public avatar, given the same integer key, collided
-- with it (500 forever). The trigger now runs BEFORE the delete, while the key still exists.
DROP TRIGGER avatars_search_delete;
CREATE TRIGGER avatars_search_delete BEFORE DELETE ON avatars BEGIN
  DELETE FROM avatar_search
    WHERE rowid = (SELECT key FROM avatar_search_keys WHERE avatar_id = old.id);
  DELETE FROM avatar_search_keys WHERE avatar_id = old.id;
END;

-- Heal databases the old trigger damaged: rebuild the index from the public avatars themselves.
DELETE FROM avatar_search;
DELETE FROM avatar_search_keys;
INSERT INTO avatar_search_keys (avatar_id) SELECT id FROM avatars WHERE is_public;
INSERT INTO avatar_search (rowid, name, role, description)
  SELECT k.key, a.name, a.role, coalesce(a.description, '')
  FROM avatars a JOIN avatar_search_keys k ON k.avatar_id = a.id;
UPDATE store_revision SET revision = revision + 1;
