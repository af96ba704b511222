#include <libpq-fe.h>

#include <unordered_map>

#include "db/backends.hpp"

namespace karma::db {
namespace {

DbError::Kind kind_of(const char* sqlstate) {
  const std::string_view state = sqlstate ? sqlstate : "";
  if (state == "23505") return DbError::Kind::unique_violation;
  if (state == "23503") return DbError::Kind::foreign_key_violation;
  if (state == "23514") return DbError::Kind::check_violation;
  if (state.starts_with("08") || state.starts_with("57P") || state == "53300")
    return DbError::Kind::unavailable;
  return DbError::Kind::other;
}

void ignore_notice(void*, const char*) {}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string message = std::string("cannot connect to PostgreSQL: ") +
                            (conn_ ? PQerrorMessage(conn_) : "out of memory");
      PQfinish(conn_);
      throw DbError(DbError::Kind::unavailable, message);
    }
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    // Timestamps come back as UTC text, which Row::time parses. Prepared statements keep one
    // generic plan: by default PostgreSQL re-plans a statement with a `LIMIT $n` on every
    // execution (its generic estimate looks dearer than the custom one), and planning cost
    // more than running the device list (bench/README.md: list 4.9 k -> 6.5 k req/s). Every
    // statement here filters by key or indexed column, where the generic plan is the plan.
    execute_script("SET TIME ZONE 'UTC'; SET plan_cache_mode = force_generic_plan");
  }

  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::postgres; }
  bool healthy() const override { return PQstatus(conn_) == CONNECTION_OK; }

  Result query(std::string_view sql, const Params& params) override {
    count_statement();
    const std::string& name = prepare(sql, params.size());
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) continue;
      if (auto* n = std::get_if<std::int64_t>(&v))
        texts[i] = std::to_string(*n);
      else if (auto* d = std::get_if<double>(&v))
        texts[i] = std::to_string(*d);
      else if (auto* b = std::get_if<bool>(&v))
        texts[i] = *b ? "true" : "false";
      else if (auto* s = std::get_if<std::string>(&v)) {
        values[i] = s->c_str();
        continue;
      } else if (auto* t = std::get_if<Timestamp>(&v))
        texts[i] = iso8601(t->ms);
      values[i] = texts[i].c_str();
    }
    PGresult* res =
        PQexecPrepared(conn_, name.c_str(), int(params.size()), values.data(), nullptr, nullptr, 0);
    return take(res, "query failed");
  }

  void execute_script(std::string_view sql) override {
    take(PQexec(conn_, std::string(sql).c_str()), "script failed");
  }

  void begin() override { execute_script("BEGIN"); }
  void commit() override { execute_script("COMMIT"); }
  void rollback() override { execute_script("ROLLBACK"); }

 private:
  const std::string& prepare(std::string_view sql, std::size_t param_count) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    std::string name = "k" + std::to_string(statements_.size());
    std::string text(sql);
    take(PQprepare(conn_, name.c_str(), text.c_str(), int(param_count), nullptr), "prepare failed");
    return statements_.emplace(std::move(text), std::move(name)).first->second;
  }

  // Converts a PGresult into a Result (or a DbError) and frees it.
  Result take(PGresult* res, std::string_view context) {
    const ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
      DbError::Kind kind = kind_of(state);
      if (!healthy()) kind = DbError::Kind::unavailable;
      std::string message =
          std::string(context) + ": " + (res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
      PQclear(res);
      throw DbError(kind, std::move(message));
    }
    Result result;
    const int rows = PQntuples(res);
    const int columns = PQnfields(res);
    result.rows.reserve(rows);
    for (int r = 0; r < rows; ++r) {
      std::vector<std::optional<std::string>> cells;
      cells.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(res, r, c))
          cells.emplace_back(std::nullopt);
        else
          cells.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
      result.rows.emplace_back(std::move(cells));
    }
    const char* affected = PQcmdTuples(res);
    result.affected = affected && *affected ? std::stoll(affected) : 0;
    PQclear(res);
    return result;
  }

  PGconn* conn_;
  std::unordered_map<std::string, std::string> statements_;
};

}  // namespace

std::unique_ptr<Connection> connect_postgres(const std::string& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace karma::db
