#include "ops/database_health.hpp"

#include <boost/json/array.hpp>

#include "core/app_error.hpp"
#include "db/migrations.hpp"

namespace karma::ops {

void DatabaseHealth::require_ready() const {
  if (!db_.ping())
    throw AppError(ErrorCode::unavailable, "Database unreachable",
                   boost::json::object{{"database", "down"}});
  const auto pending = db::pending_migrations(db_);
  if (pending.empty()) return;
  boost::json::array names;
  for (const auto& n : pending) names.emplace_back(n);
  throw AppError(ErrorCode::unavailable, "Database migrations pending",
                 boost::json::object{{"pendingMigrations", std::move(names)}});
}

void DatabaseHealth::append_metrics(std::string& out) const {
  const db::PoolStats s = db_.stats();
  out += "# HELP karma_db_pool_connections Database connections by state.\n";
  out += "# TYPE karma_db_pool_connections gauge\n";
  out += "karma_db_pool_connections{state=\"open\"} " + std::to_string(s.size) + "\n";
  out += "karma_db_pool_connections{state=\"idle\"} " + std::to_string(s.idle) + "\n";
  out += "karma_db_pool_connections{state=\"max\"} " + std::to_string(s.max_size) + "\n";
  out += "# HELP karma_db_pool_waiting Callers waiting for a connection.\n";
  out += "# TYPE karma_db_pool_waiting gauge\n";
  out += "karma_db_pool_waiting " + std::to_string(s.waiting) + "\n";
  out += "# HELP karma_db_pool_acquired_total Connections handed out.\n";
  out += "# TYPE karma_db_pool_acquired_total counter\n";
  out += "karma_db_pool_acquired_total " + std::to_string(s.acquired_total) + "\n";
  out += "# HELP karma_db_pool_timeouts_total Waits for a connection that timed out.\n";
  out += "# TYPE karma_db_pool_timeouts_total counter\n";
  out += "karma_db_pool_timeouts_total " + std::to_string(s.timeouts_total) + "\n";
  out += "# HELP karma_db_statements_total Statements run (counted as connections return).\n";
  out += "# TYPE karma_db_statements_total counter\n";
  out += "karma_db_statements_total " + std::to_string(s.statements_total) + "\n";
}

}  // namespace karma::ops
