// The database layer on both backends: placeholders, types, transactions, errors, migrations.
#include "db/database.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <iterator>
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "core/crypto.hpp"
#include "db/group_commit.hpp"
#include "db/migrations.hpp"
#include "jobs/job_leases.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

class DatabaseTest : public BackendTest {
 protected:
  db::Database& db() { return server().app->database(); }
  std::string insert_user(db::Connection& c, const std::string& name = "DB User") {
    const std::string id = crypto::uuid_v4();
    c.query(
        "INSERT INTO users (id, email, name, password_hash, role, email_verified, created_at, "
        "updated_at) VALUES ($1, $2, $3, 'x', 'user', $4, $5, $5)",
        {id, unique_email("db"), name, true, db::Timestamp{1795623963111}});
    return id;
  }
};

TEST_P(DatabaseTest, BindsAndReadsEveryValueType) {
  auto c = db().acquire();
  const std::string id = insert_user(*c, "It's \"quoted\" $1 ?");
  const auto row =
      c->query("SELECT name, email_verified, created_at, avatar FROM users WHERE id = $1", {id})
          .first();
  EXPECT_EQ(row.text(0), "It's \"quoted\" $1 ?");
  EXPECT_TRUE(row.boolean(1));
  EXPECT_EQ(row.time(2), 1795623963111);
  EXPECT_TRUE(row.is_null(3));
  EXPECT_FALSE(row.opt_time(3).has_value());
  const auto counted =
      c->query("SELECT COUNT(*) FROM users WHERE id = $1 AND email_verified = $2", {id, true});
  EXPECT_EQ(counted.first().integer(0), 1);
}

TEST_P(DatabaseTest, ReusesOnePlaceholderSeveralTimes) {
  auto c = db().acquire();
  const auto r =
      c->query("SELECT CAST($1 AS TEXT) || '-' || CAST($1 AS TEXT) || '-' || CAST($2 AS TEXT)",
               {std::string("a"), std::string("b")});
  EXPECT_EQ(r.first().text(0), "a-a-b");
}

TEST_P(DatabaseTest, TransactionsCommitOrRollBackWhole) {
  std::string kept, dropped;
  db().transaction([&](db::Connection& c) { kept = insert_user(c); });
  EXPECT_THROW(db().transaction([&](db::Connection& c) {
    dropped = insert_user(c);
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  EXPECT_EQ(db().query("SELECT 1 FROM users WHERE id = $1", {kept}).rows.size(), 1u);
  EXPECT_TRUE(db().query("SELECT 1 FROM users WHERE id = $1", {dropped}).empty());
}

TEST_P(DatabaseTest, UniqueViolationsAreRecognisable) {
  auto c = db().acquire();
  const std::string id = insert_user(*c);
  try {
    c->query(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) "
        "VALUES ($1, 'x@y.z', 'n', 'h', $2, $2)",
        {id, db::Timestamp{now_ms()}});
    FAIL() << "duplicate primary key accepted";
  } catch (const db::DbError& e) {
    EXPECT_EQ(e.kind(), db::DbError::Kind::unique_violation) << e.what();
  }
  // The connection is still usable after the error.
  EXPECT_EQ(c->query("SELECT 1").first().integer(0), 1);
}

TEST_P(DatabaseTest, ForeignKeysAreEnforced) {
  try {
    db().query(
        "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) "
        "VALUES ($1, $2, $3, 'h', $4, $4)",
        {crypto::uuid_v4(), crypto::uuid_v4(), crypto::uuid_v4(), db::Timestamp{now_ms()}});
    FAIL() << "dangling user_id accepted";
  } catch (const db::DbError& e) {
    EXPECT_EQ(e.kind(), db::DbError::Kind::foreign_key_violation) << e.what();
  }
}

TEST_P(DatabaseTest, AffectedRowsAreCounted) {
  auto c = db().acquire();
  const std::string id = insert_user(*c);
  EXPECT_EQ(c->query("UPDATE users SET name = 'n2' WHERE id = $1", {id}).affected, 1);
  EXPECT_EQ(c->query("UPDATE users SET name = 'n3' WHERE id = $1", {crypto::uuid_v4()}).affected,
            0);
}

TEST_P(DatabaseTest, MigrationsAreRecordedAndIdempotent) {
  EXPECT_TRUE(db::migrate(db()).empty());
  EXPECT_TRUE(db::pending_migrations(db()).empty());
  const auto rows = db().query("SELECT version FROM schema_migrations ORDER BY version");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.first().text(0), "001_init");
  // The whole schema exists.
  for (const char* table : {"users", "refresh_tokens", "devices", "device_tokens", "device_metrics",
                            "device_commands", "device_files", "projects", "project_members",
                            "tasks", "avatars", "avatar_reviews", "subscriptions", "stripe_events",
                            "agent_threads", "agent_messages", "agent_interrupts", "jobs"}) {
    EXPECT_NO_THROW(db().query(std::string("SELECT COUNT(*) FROM ") + table)) << table;
  }
}

TEST_P(DatabaseTest, PoolHandsOutBoundedConnectionsAcrossThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        db().transaction([&](db::Connection& c) { insert_user(c); });
      }
      ++done;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.load(), 8);
  const auto stats = db().stats();
  EXPECT_LE(stats.size, stats.max_size);
  EXPECT_EQ(stats.waiting, 0);
}

// Writes queued while a batch commits share the next transaction; a failing write is retried
// alone and fails alone; after stop() nothing is accepted.
TEST_P(DatabaseTest, GroupCommitBatchesWritesAndIsolatesAFailingOne) {
  db::GroupCommit commits(db(), 1);
  std::promise<void> release;
  std::latch first_running(1);
  std::atomic<int> succeeded{0};
  std::atomic<int> failed{0};
  constexpr int kQueued = 10;
  std::latch finished(kQueued + 1);
  auto count = [&](std::exception_ptr error) {
    ++(error ? failed : succeeded);
    finished.count_down();
  };
  // The first write holds the only committer until everything else is queued.
  auto gate = release.get_future().share();
  commits.submit(
      "a",
      [&](db::Connection& c) {
        first_running.count_down();
        gate.wait();
        insert_user(c);
      },
      count);
  first_running.wait();
  std::vector<std::string> ids;
  for (int i = 0; i < kQueued; ++i) {
    const std::string id = crypto::uuid_v4();
    const std::string email = unique_email("batch");
    ids.push_back(id);
    const bool poisoned = i == 4;  // NOT NULL violated: fails its batch, then itself
    commits.submit(
        "b" + std::to_string(i),
        [id, email, poisoned](db::Connection& c) {
          c.query(
              "INSERT INTO users (id, email, name, password_hash, role, email_verified, "
              "created_at, updated_at) VALUES ($1, $2, 'B', $3, 'user', $4, $5, $5)",
              {id, email, poisoned ? db::Value(nullptr) : db::Value(std::string("x")), false,
               db::Timestamp{1}});
        },
        count);
  }
  release.set_value();
  finished.wait();
  EXPECT_EQ(succeeded, kQueued);
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(commits.batches(), 2u) << "the ten queued writes committed as one batch";
  int stored = 0;
  for (const auto& id : ids)
    stored += int(db().query("SELECT 1 FROM users WHERE id = $1", {id}).rows.size());
  EXPECT_EQ(stored, kQueued - 1);

  commits.stop();
  std::exception_ptr refused;
  commits.submit(
      "c", [](db::Connection&) {}, [&](std::exception_ptr e) { refused = e; });
  ASSERT_TRUE(refused);
  EXPECT_THROW(std::rethrow_exception(refused), db::DbError);
}

// A prepared statement is planned once per connection, not on every execution (PostgreSQL's
// default re-plans statements whose generic plan it estimates dearer, such as `LIMIT $n` ones).
TEST_P(DatabaseTest, PreparedStatementsArePlannedOnce) {
  if (db().dialect() != db::Dialect::postgres) GTEST_SKIP() << "PostgreSQL's plan cache";
  auto c = db().acquire();
  const std::string user = insert_user(*c);
  const std::string sql =
      "SELECT id FROM devices WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2 OFFSET $3";
  for (int i = 0; i < 8; ++i) c->query(sql, {user, std::int64_t{20}, std::int64_t{0}});
  const auto plans = c->query(
      "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1", {sql});
  ASSERT_EQ(plans.rows.size(), 1u);
  EXPECT_EQ(plans.first().integer(1), 0) << "custom plans made";
  EXPECT_EQ(plans.first().integer(0), 8) << "executions of the generic plan";
}

// Background jobs' leases (many instances, one database): one holder at a time, renewed by it,
// taken by another once it runs out; of instances racing for a free lease exactly one wins.
TEST_P(DatabaseTest, AJobLeaseHasOneHolderUntilItRunsOut) {
  using namespace std::chrono_literals;
  const std::string job = "job-" + crypto::uuid_v4();
  jobs::JobLeases a(db(), "a-" + crypto::uuid_v4()), b(db(), "b-" + crypto::uuid_v4());
  EXPECT_TRUE(a.acquire(job, 400ms));
  EXPECT_FALSE(b.acquire(job, 400ms));
  EXPECT_TRUE(a.acquire(job, 400ms)) << "the holder renews";
  std::this_thread::sleep_for(450ms);
  EXPECT_TRUE(b.acquire(job, 400ms)) << "a lapsed lease is taken";
  EXPECT_FALSE(a.acquire(job, 400ms));

  const std::string raced = "raced-" + crypto::uuid_v4();
  std::atomic<int> won{0};
  std::latch go(20);
  std::vector<std::thread> instances;
  for (int i = 0; i < 20; ++i)
    instances.emplace_back([&, i] {
      jobs::JobLeases mine(db(), "instance-" + std::to_string(i));
      go.arrive_and_wait();
      if (mine.acquire(raced, 10s)) ++won;
    });
  for (auto& t : instances) t.join();
  EXPECT_EQ(won, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest, ::testing::ValuesIn(backends()), backend_name);

// The background checkpointer replaces SQLite's automatic one: under steady writes the WAL
// still starts over (without it, it would hold every page written) and the pages reach the
// database file.
TEST(SqliteWal, StaysBoundedUnderSteadyWrites) {
  const auto dir = std::filesystem::temp_directory_path() / ("karma-wal-" + crypto::uuid_v4());
  const std::string path = (dir / "wal.db").string();
  {
    auto db = db::open_database("sqlite://" + path, 2);
    db->query("CREATE TABLE filler (b BLOB)");
    const std::string row(100, 'w');
    constexpr int kCommits = 60000;  // a WAL page each: 240 MB of WAL if it never started over
    std::uintmax_t largest_wal = 0;
    for (int i = 0; i < kCommits; ++i) {
      db->transaction([&](db::Connection& c) { c.query("INSERT INTO filler VALUES ($1)", {row}); });
      if (i % 500 == 0)
        largest_wal = std::max(largest_wal, std::filesystem::file_size(path + "-wal"));
    }
    EXPECT_LT(largest_wal, 160u << 20) << "the WAL never started over";
    EXPECT_EQ(db->query("SELECT COUNT(*) FROM filler").first().integer(0), kCommits);
  }
  std::filesystem::remove_all(dir);
}

// A database written by the release before 009: deleting a public avatar left its store-index
// row behind, so the store counted it and the next public avatar collided with it. Opening the
// damaged file with this release heals it.
TEST(SqliteStoreRepair, MigrationHealsAStoreIndexDamagedByADeletedAvatar) {
  const auto dir = std::filesystem::temp_directory_path() / ("karma-repair-" + crypto::uuid_v4());
  std::filesystem::create_directories(dir);
  const std::string url = "sqlite://" + (dir / "old.db").string();
  const std::string user = crypto::uuid_v4();
  auto add_public_avatar = [&](auto& db, const std::string& name) {
    db.query(
        "INSERT INTO avatars (id, created_by, name, role, is_public) VALUES ($1, $2, $3, "
        "'writer', 1)",
        {crypto::uuid_v4(), user, name});
  };
  {
    auto db = db::open_database(url, 1);
    auto c = db->acquire();
    c->execute_script(
        "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
    for (const auto& m : db::embedded_migrations()) {
      if (std::string_view(m.dialect) != "sqlite" || std::string_view(m.name) >= "009") continue;
      c->execute_script(m.sql);
      c->query("INSERT INTO schema_migrations VALUES ($1, 0)", {std::string(m.name)});
    }
    c->query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, 'r@x.io', 'R', 'x')",
             {user});
    add_public_avatar(*c, "Kept");
    add_public_avatar(*c, "Deleted");
    c->query("DELETE FROM avatars WHERE name = 'Deleted'");
    // The damage as users met it: the index counts two, the next public avatar cannot be added.
    EXPECT_EQ(c->query("SELECT COUNT(*) FROM avatar_search").first().integer(0), 2);
    EXPECT_THROW(add_public_avatar(*c, "Next"), db::DbError);
  }
  auto db = db::open_database(url, 1);
  const std::vector<std::string> applied = db::migrate(*db);
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.front(), "009_store_search_repair");  // then any later ones
  EXPECT_EQ(db->query("SELECT COUNT(*) FROM avatar_search").first().integer(0), 1);
  EXPECT_EQ(db->query("SELECT COUNT(*) FROM avatar_search WHERE avatar_search MATCH 'kept'")
                .first()
                .integer(0),
            1);
  // And it stays healed: delete, add, search — the index matches the public avatars.
  add_public_avatar(*db, "Next");
  db->query("DELETE FROM avatars WHERE name = 'Kept'");
  add_public_avatar(*db, "Last");
  EXPECT_EQ(db->query("SELECT COUNT(*) FROM avatar_search").first().integer(0), 2);
  EXPECT_EQ(db->query("SELECT COUNT(*) FROM avatar_search WHERE avatar_search MATCH 'kept'")
                .first()
                .integer(0),
            0);
  db.reset();
  std::filesystem::remove_all(dir);
}

// The schema as a set of facts comparable across dialects: tables, columns with nullability,
// primary keys, unique constraints, and named indexes (columns, unique, partial).
using SchemaFacts = std::set<std::string>;

SchemaFacts sqlite_schema(db::Connection& c) {
  SchemaFacts facts;
  const auto tables = c.query(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
      "ORDER BY name");
  for (const auto& table : tables.rows) {
    const std::string t = table.text(0);
    facts.insert("table " + t);
    std::map<std::int64_t, std::string> key;
    for (const auto& col :
         c.query("SELECT name, \"notnull\", pk FROM pragma_table_info($1)", {t}).rows) {
      const bool pk = col.integer(2) > 0;
      if (pk) key[col.integer(2)] = col.text(0);
      facts.insert("column " + t + "." + col.text(0) +
                   (col.integer(1) || pk ? " NOT NULL" : " NULL"));
    }
    std::string pk_columns;
    for (const auto& [order, name] : key) pk_columns += (pk_columns.empty() ? "" : ",") + name;
    if (!pk_columns.empty()) facts.insert("primary key " + t + "(" + pk_columns + ")");
    for (const auto& index :
         c.query("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)", {t}).rows) {
      if (index.text(2) == "pk") continue;  // from table_info above
      std::string columns;
      for (const auto& col :
           c.query("SELECT name FROM pragma_index_info($1) ORDER BY seqno", {index.text(0)}).rows)
        columns += (columns.empty() ? "" : ",") + col.text(0);
      if (index.text(2) == "u")
        facts.insert("unique " + t + "(" + columns + ")");
      else
        facts.insert("index " + index.text(0) + " on " + t + "(" + columns + ")" +
                     (index.integer(1) ? " unique" : "") + (index.integer(3) ? " partial" : ""));
    }
  }
  return facts;
}

SchemaFacts postgres_schema(db::Connection& c) {
  SchemaFacts facts;
  for (const auto& col :
       c.query("SELECT table_name, column_name, is_nullable FROM information_schema.columns "
               "WHERE table_schema = current_schema()")
           .rows) {
    facts.insert("table " + col.text(0));
    facts.insert("column " + col.text(0) + "." + col.text(1) +
                 (col.text(2) == "NO" ? " NOT NULL" : " NULL"));
  }
  const auto indexes = c.query(
      "SELECT t.relname, ic.relname, i.indisunique, i.indisprimary, i.indpred IS NOT NULL, "
      "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = "
      "'u'), (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(i.indkey) WITH "
      "ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = "
      "k.attnum) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON "
      "ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = "
      "current_schema()");
  for (const auto& index : indexes.rows) {
    const std::string t = index.text(0), columns = index.text(6);
    if (index.boolean(3))
      facts.insert("primary key " + t + "(" + columns + ")");
    else if (index.boolean(5))
      facts.insert("unique " + t + "(" + columns + ")");
    else
      facts.insert("index " + index.text(1) + " on " + t + "(" + columns + ")" +
                   (index.boolean(2) ? " unique" : "") + (index.boolean(4) ? " partial" : ""));
  }
  return facts;
}

// The two dialects' migrations cannot drift apart: the same tables, columns (and whether they
// may be NULL), keys and indexes. Types differ by design (UUID vs TEXT, TIMESTAMPTZ vs INTEGER).
TEST(SchemaParity, SqliteAndPostgresMigrationsGiveTheSameSchema) {
  require_services("postgres");
  if (IsSkipped()) return;
  auto sqlite = shared_server("sqlite").app->database().acquire();
  auto postgres = shared_server("postgres").app->database().acquire();
  SchemaFacts in_sqlite = sqlite_schema(*sqlite);
  SchemaFacts in_postgres = postgres_schema(*postgres);
  ASSERT_GT(in_sqlite.size(), 50u) << "the schema was read";
  // Full-text search differs by design: FTS5 tables (avatar_search*) on SQLite, a tsvector
  // column with its GIN index on PostgreSQL.
  const auto full_text = [](const std::string& fact) {
    return fact.find("avatar_search") != std::string::npos ||
           fact.find("avatars.search") != std::string::npos ||
           fact.find("idx_avatars_search") != std::string::npos;
  };
  std::erase_if(in_sqlite, full_text);
  std::erase_if(in_postgres, full_text);
  std::vector<std::string> only_sqlite, only_postgres;
  std::set_difference(in_sqlite.begin(), in_sqlite.end(), in_postgres.begin(), in_postgres.end(),
                      std::back_inserter(only_sqlite));
  std::set_difference(in_postgres.begin(), in_postgres.end(), in_sqlite.begin(), in_sqlite.end(),
                      std::back_inserter(only_postgres));
  EXPECT_TRUE(only_sqlite.empty()) << "only in SQLite:\n" << ::testing::PrintToString(only_sqlite);
  EXPECT_TRUE(only_postgres.empty()) << "only in PostgreSQL:\n"
                                     << ::testing::PrintToString(only_postgres);
}

}  // namespace
}  // namespace karma::testing
