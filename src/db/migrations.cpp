#include "db/migrations.hpp"

#include <algorithm>

namespace karma::db {
namespace {

const char* dialect_name(Dialect d) {
  return d == Dialect::sqlite ? "sqlite" : "postgres";
}

void ensure_table(Connection& conn) {
  conn.execute_script(
      conn.dialect() == Dialect::sqlite
          ? "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, "
            "applied_at INTEGER NOT NULL)"
          : "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, "
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())");
}

std::vector<std::string> applied(Connection& conn) {
  std::vector<std::string> names;
  for (const auto& row : conn.query("SELECT version FROM schema_migrations").rows)
    names.push_back(row.text(0));
  return names;
}

std::vector<const EmbeddedMigration*> pending(Connection& conn) {
  const auto done = applied(conn);
  std::vector<const EmbeddedMigration*> out;
  for (const auto& m : embedded_migrations()) {
    if (std::string_view(m.dialect) != dialect_name(conn.dialect())) continue;
    if (std::find(done.begin(), done.end(), m.name) == done.end()) out.push_back(&m);
  }
  return out;
}

// Instances starting together serialise here; the loser then finds nothing pending.
constexpr const char* kPostgresLockKey = "727465";

}  // namespace

std::vector<std::string> migrate(Database& db) {
  auto conn = db.acquire();
  const bool postgres = db.dialect() == Dialect::postgres;
  if (postgres)
    conn->execute_script(std::string("SELECT pg_advisory_lock(") + kPostgresLockKey + ")");
  std::vector<std::string> names;
  try {
    ensure_table(*conn);
    for (const EmbeddedMigration* m : pending(*conn)) {
      conn->begin();
      try {
        // Another instance may have applied it since `pending` looked (SQLite has no advisory
        // lock; BEGIN IMMEDIATE serialises us from here on).
        if (!conn->query("SELECT 1 FROM schema_migrations WHERE version = $1",
                         {std::string(m->name)})
                 .empty()) {
          conn->commit();
          continue;
        }
        conn->execute_script(m->sql);
        conn->query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    {std::string(m->name), Timestamp{now_ms()}});
        conn->commit();
      } catch (...) {
        conn->rollback();
        throw;
      }
      names.emplace_back(m->name);
    }
  } catch (...) {
    if (postgres && conn->healthy())
      conn->execute_script(std::string("SELECT pg_advisory_unlock(") + kPostgresLockKey + ")");
    throw;
  }
  if (postgres)
    conn->execute_script(std::string("SELECT pg_advisory_unlock(") + kPostgresLockKey + ")");
  return names;
}

std::vector<std::string> pending_migrations(Database& db) {
  auto conn = db.acquire();
  std::vector<std::string> names;
  try {
    for (const EmbeddedMigration* m : pending(*conn)) names.emplace_back(m->name);
  } catch (const DbError&) {
    // No schema_migrations table yet: everything is pending.
    if (!conn->healthy()) throw;
    for (const auto& m : embedded_migrations())
      if (std::string_view(m.dialect) == dialect_name(db.dialect())) names.emplace_back(m.name);
  }
  return names;
}

}  // namespace karma::db
