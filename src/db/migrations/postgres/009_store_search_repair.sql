-- Mirrors sqlite/009, which repairs SQLite's store index (FTS rows a deleted avatar left behind).
-- PostgreSQL's store search is a generated column with its own index, which a delete cannot
-- leave behind: nothing to rebuild. What is mirrored is the revision bump, so store pages kept
-- by a running instance are rendered anew after the upgrade on both databases.
UPDATE store_revision SET revision = revision + 1;
