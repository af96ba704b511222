#pragma once
// The database interface every store uses. Two backends implement it (SQLite, PostgreSQL); SQL
// is written once with $1..$n placeholders. Calls block, so they run on the worker pool, never
// on an I/O thread.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.hpp"

namespace karma::db {

enum class Dialect { sqlite, postgres };

// A point in time: bound as INTEGER ms on SQLite and as an ISO-8601 TIMESTAMPTZ on PostgreSQL.
struct Timestamp {
  EpochMs ms;
};

using Value = std::variant<std::nullptr_t, std::int64_t, double, bool, std::string, Timestamp>;
using Params = std::vector<Value>;

class DbError : public std::runtime_error {
 public:
  enum class Kind { unique_violation, foreign_key_violation, check_violation, unavailable, other };
  DbError(Kind kind, std::string message) : std::runtime_error(std::move(message)), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace karma::db
namespace karma {
class AppError;
}
namespace karma::db {

// The contract's error for a failed statement, for every path that answers a client (HTTP,
// streams, WebSocket): unavailable → 503, a unique clash (two requests racing for one row) →
// 409; anything else is a bug and stays a 500.
AppError app_error_of(const DbError& error);

// One result row; cells are text (or null) on both backends and converted on read.
class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  std::size_t size() const { return cells_.size(); }
  bool is_null(std::size_t i) const { return !cells_.at(i).has_value(); }
  const std::string& text(std::size_t i) const;  // "" when null
  std::optional<std::string> opt_text(std::size_t i) const { return cells_.at(i); }
  // The same, moved out of the row (which keeps an empty cell): for readers that build records
  // from rows they are done with.
  std::string take_text(std::size_t i);
  std::optional<std::string> take_opt_text(std::size_t i) { return std::move(cells_.at(i)); }
  std::int64_t integer(std::size_t i) const;  // 0 when null
  double real(std::size_t i) const;           // 0 when null
  bool boolean(std::size_t i) const;          // false when null
  EpochMs time(std::size_t i) const;          // 0 when null
  std::optional<EpochMs> opt_time(std::size_t i) const;

 private:
  std::vector<std::optional<std::string>> cells_;
};

struct Result {
  std::vector<Row> rows;
  std::int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
  bool empty() const { return rows.empty(); }
  const Row& first() const { return rows.at(0); }
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // Runs one statement with $n placeholders bound to `params`.
  virtual Result query(std::string_view sql, const Params& params) = 0;
  Result query(std::string_view sql) { return query(sql, Params{}); }
  // Runs several ;-separated statements without parameters (migrations).
  virtual void execute_script(std::string_view sql) = 0;
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // False once the connection is unusable; the pool then drops it.
  virtual bool healthy() const = 0;
  // Statements run since the last call (the pool sums them: /metrics, the N+1 tests).
  std::uint64_t take_statement_count() { return std::exchange(statements_, 0); }

 protected:
  void count_statement() { ++statements_; }

 private:
  std::uint64_t statements_ = 0;
};

struct PoolStats {
  int size = 0;     // open connections
  int idle = 0;     // open and not checked out
  int waiting = 0;  // callers waiting for a connection
  int max_size = 0;
  std::uint64_t acquired_total = 0;
  std::uint64_t timeouts_total = 0;
  std::uint64_t statements_total = 0;  // counted when a connection goes back to the pool
};

// A bounded pool of connections to one database.
class Database {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;
  Database(Dialect dialect, Factory factory, int max_size, int acquire_timeout_ms = 5000);
  ~Database();

  class Lease {
   public:
    Lease(Database& db, std::unique_ptr<Connection> conn) : db_(&db), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    ~Lease();
    Connection* operator->() const { return conn_.get(); }
    Connection& operator*() const { return *conn_; }

   private:
    Database* db_;
    std::unique_ptr<Connection> conn_;
  };

  Dialect dialect() const { return dialect_; }
  Lease acquire();
  // Runs `work(Connection&)` in one transaction: committed when it returns, rolled back when it
  // throws.
  template <class Work>
  auto transaction(Work&& work) {
    Lease conn = acquire();
    conn->begin();
    try {
      if constexpr (std::is_void_v<decltype(work(*conn))>) {
        work(*conn);
        conn->commit();
      } else {
        auto result = work(*conn);
        conn->commit();
        return result;
      }
    } catch (...) {
      if (conn->healthy()) {
        try {
          conn->rollback();
        } catch (...) {
        }
      }
      throw;
    }
  }
  // One statement in autocommit mode.
  Result query(std::string_view sql, const Params& params = {});
  bool ping();
  PoolStats stats();
  // Closes idle connections and refuses new leases (shutdown).
  void close();

 private:
  void release(std::unique_ptr<Connection> conn);

  Dialect dialect_;
  Factory factory_;
  int max_size_;
  int acquire_timeout_ms_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
  int waiting_ = 0;
  bool closed_ = false;
  std::uint64_t acquired_total_ = 0;
  std::uint64_t timeouts_total_ = 0;
  std::uint64_t statements_total_ = 0;
};

// Opens the database named by `url`: "sqlite:///abs/path.db", "sqlite://relative/path.db" or
// "postgresql://user:pass@host:port/db" (also "postgres://").
std::unique_ptr<Database> open_database(const std::string& url, int pool_size);

}  // namespace karma::db
