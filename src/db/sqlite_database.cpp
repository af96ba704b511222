#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/unicode.hpp"
#include "db/backends.hpp"

namespace karma::db {
namespace {

[[noreturn]] void fail(sqlite3* handle, int rc, std::string_view context) {
  const int extended = handle ? sqlite3_extended_errcode(handle) : rc;
  std::string message =
      std::string(context) + ": " + (handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
  DbError::Kind kind = DbError::Kind::other;
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY)
    kind = DbError::Kind::unique_violation;
  else if (extended == SQLITE_CONSTRAINT_FOREIGNKEY)
    kind = DbError::Kind::foreign_key_violation;
  else if (extended == SQLITE_CONSTRAINT_CHECK)
    kind = DbError::Kind::check_violation;
  else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ||
           (rc & 0xff) == SQLITE_CANTOPEN)
    kind = DbError::Kind::unavailable;
  throw DbError(kind, std::move(message));
}

// SQL's unicode_lower(text): the case mapping db::lowered() asks for (core/unicode.hpp).
void sql_unicode_lower(sqlite3_context* context, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(context);
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const std::string lowered =
      unicode_lower(std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
  sqlite3_result_text(context, lowered.data(), static_cast<int>(lowered.size()), SQLITE_TRANSIENT);
}

sqlite3* open_handle(const std::string& path) {
  sqlite3* handle = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &handle,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open SQLite database " + path + ": " + sqlite3_errstr(rc);
    sqlite3_close(handle);
    throw DbError(DbError::Kind::unavailable, message);
  }
  sqlite3_busy_timeout(handle, 5000);
  sqlite3_create_function(handle, "unicode_lower", 1,
                          SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                          &sql_unicode_lower, nullptr, nullptr);
  return handle;
}

}  // namespace

// SQLite's automatic checkpoint runs inside the COMMIT that crosses 1 000 WAL pages and stalls
// it (and, with group commit, every write of its batch) for the copy and two fsyncs: heartbeat
// p99 20 ms against 8 ms with no checkpoints at all. Here a thread of its own copies the WAL
// into the database beside the writers every 1 000 new pages. Such a checkpoint never catches
// up with steady writes, so the WAL would never start over; once it holds 32 000 pages
// (128 MB) the checkpoint is repeated holding the writer mutex, copying only what was committed
// meanwhile, and the next transaction restarts the WAL. Writers stall for that step only, so
// the files are flushed first: the step's own fsyncs then cover only that short delta. The
// step still costs a few ms, so its rate decides whether it reaches the p99 (bench/README.md:
// every 8 000 pages without the flush, heartbeat p99 15 ms; 16 000 with it, 10.9 ms; 32 000,
// 9.3 ms). Readers are not slowed by a long WAL: they search only the frames not yet copied.
class SqliteShared {
 public:
  static constexpr int kCheckpointPages = 1000;  // SQLite's default
  static constexpr int kRestartPages = 32000;

  explicit SqliteShared(std::string path) : path_(std::move(path)) {
    thread_ = std::thread([this] { run(); });
  }
  ~SqliteShared() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  std::mutex writer;

  // Called after every commit with the pages now in the WAL.
  void wal_grew(int pages) {
    int backfilled = backfilled_.load(std::memory_order_relaxed);
    if (pages < backfilled) backfilled = 0;  // the WAL started over
    if (pages - backfilled < kCheckpointPages) return;
    {
      std::lock_guard lock(mutex_);
      wanted_ = true;
    }
    wake_.notify_one();
  }

 private:
  void run() {
    sqlite3* handle = nullptr;
    try {
      handle = open_handle(path_);
      // A connection learns that the file is in WAL mode only when it first reads it; until
      // then a checkpoint is a no-op.
      sqlite3_exec(handle, "SELECT 1 FROM sqlite_master LIMIT 1", nullptr, nullptr, nullptr);
    } catch (const DbError&) {
      return;  // the connections report the problem; without us SQLite's WAL just grows
    }
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) break;
      wanted_ = false;
      lock.unlock();
      int pages = 0;
      int copied = 0;
      sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, &pages, &copied);
      backfilled_ = copied;
      // The same page count again means no commit came since the last restart step, which
      // the next transaction still completes.
      if (pages >= kRestartPages && pages != restart_pending_at_) {
        flush(path_);
        flush(path_ + "-wal");
        std::lock_guard quiet(writer);
        sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, &pages, nullptr);
        backfilled_ = 0;  // the next transaction starts the WAL over
        restart_pending_at_ = pages;
      }
      lock.lock();
    }
    sqlite3_close(handle);
  }

  // fdatasync through a descriptor of our own: SQLite's are private, and the kernel flushes a
  // file's dirty pages whichever descriptor asks.
  static void flush(const std::string& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ::fdatasync(fd);
    ::close(fd);
  }

  const std::string path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  int restart_pending_at_ = 0;      // WAL pages when the writers were last paused
  std::atomic<int> backfilled_{0};  // WAL pages already copied into the database
  std::thread thread_;
};

namespace {

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const std::string& path, std::shared_ptr<SqliteShared> shared)
      : shared_(std::move(shared)), handle_(open_handle(path)) {
    // No mmap: the database grows with every metrics sample, and each growth remaps it.
    execute_script(
        "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; "
        "PRAGMA cache_size=-16000;");
    // Replaces SQLite's automatic checkpoint: see SqliteShared.
    if (shared_) {
      sqlite3_wal_hook(
          handle_,
          [](void* shared, sqlite3*, const char*, int pages) {
            static_cast<SqliteShared*>(shared)->wal_grew(pages);
            return SQLITE_OK;
          },
          shared_.get());
    }
  }

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(handle_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }
  bool healthy() const override { return true; }

  Result query(std::string_view sql, const Params& params) override {
    count_statement();
    sqlite3_stmt* stmt = prepare(sql);
    // Leave the statement reset and unbound whatever happens, so the cache stays usable.
    struct ResetGuard {
      sqlite3_stmt* stmt;
      ~ResetGuard() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } guard{stmt};
    for (std::size_t i = 0; i < params.size(); ++i) bind(stmt, static_cast<int>(i + 1), params[i]);

    Result result;
    const int columns = sqlite3_column_count(stmt);
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(handle_, rc, "query failed");
      std::vector<std::optional<std::string>> cells;
      cells.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          cells.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          cells.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
        }
      }
      result.rows.emplace_back(std::move(cells));
    }
    result.affected = sqlite3_changes64(handle_);
    return result;
  }

  void execute_script(std::string_view sql) override {
    char* error = nullptr;
    const int rc = sqlite3_exec(handle_, std::string(sql).c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      sqlite3_free(error);
      fail(handle_, rc, "script failed");
    }
  }

  // IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading.
  void begin() override {
    if (shared_) writing_ = std::unique_lock(shared_->writer);
    try {
      execute_script("BEGIN IMMEDIATE");
    } catch (...) {
      release_writer();
      throw;
    }
  }
  void commit() override {
    execute_script("COMMIT");  // on failure the caller rolls back, which releases
    release_writer();
  }
  void rollback() override {
    struct Release {
      SqliteConnection* self;
      ~Release() { self->release_writer(); }
    } release{this};
    execute_script("ROLLBACK");
  }

 private:
  sqlite3_stmt* prepare(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    const std::string rewritten = sqlite_placeholders(sql);
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(handle_, rewritten.c_str(), int(rewritten.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(handle_, rc, "prepare failed");
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, int index, const Value& value) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(value)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (auto* i = std::get_if<std::int64_t>(&value)) {
      rc = sqlite3_bind_int64(stmt, index, *i);
    } else if (auto* d = std::get_if<double>(&value)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (auto* b = std::get_if<bool>(&value)) {
      rc = sqlite3_bind_int(stmt, index, *b ? 1 : 0);
    } else if (auto* s = std::get_if<std::string>(&value)) {
      rc = sqlite3_bind_text(stmt, index, s->data(), int(s->size()), SQLITE_STATIC);
    } else if (auto* t = std::get_if<Timestamp>(&value)) {
      rc = sqlite3_bind_int64(stmt, index, t->ms);
    }
    if (rc != SQLITE_OK) fail(handle_, rc, "bind failed");
  }

  void release_writer() {
    if (writing_.owns_lock()) writing_.unlock();
  }

  std::shared_ptr<SqliteShared> shared_;
  sqlite3* handle_ = nullptr;
  std::unique_lock<std::mutex> writing_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

std::string sqlite_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out.push_back('?');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void prepare_sqlite_file(const std::string& path) {
  // SQLite's memory statistics take one global mutex on every allocation, which serialises all
  // connections; nothing here reads them. Must precede the library's initialisation.
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  SqliteConnection conn(path, nullptr);
  conn.execute_script("PRAGMA journal_mode=WAL;");
}

std::shared_ptr<SqliteShared> open_sqlite_shared(const std::string& path) {
  return std::make_shared<SqliteShared>(path);
}

std::unique_ptr<Connection> connect_sqlite(const std::string& path,
                                           std::shared_ptr<SqliteShared> shared) {
  return std::make_unique<SqliteConnection>(path, std::move(shared));
}

}  // namespace karma::db
