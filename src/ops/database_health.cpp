#include "ops/database_health.hpp"

#include <boost/json/array.hpp>

#include <string_view>
#include <utility>

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

namespace {

// One Prometheus metric: its HELP and TYPE lines, then a sample per label set ("" for none).
void append_metric(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type,
                   std::initializer_list<std::pair<std::string_view, std::string>> samples) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  for (const auto& [labels, value] : samples)
    out.append(name).append(labels).append(" ").append(value).append("\n");
}

}  // namespace

void DatabaseHealth::append_metrics(std::string& out) const {
  const db::PoolStats s = db_.stats();
  append_metric(out, "karma_db_pool_connections", "Database connections by state.", "gauge",
                {{"{state=\"open\"}", std::to_string(s.size)},
                 {"{state=\"idle\"}", std::to_string(s.idle)},
                 {"{state=\"max\"}", std::to_string(s.max_size)}});
  append_metric(out, "karma_db_pool_waiting", "Callers waiting for a connection.", "gauge",
                {{"", std::to_string(s.waiting)}});
  append_metric(out, "karma_db_pool_acquired_total", "Connections handed out.", "counter",
                {{"", std::to_string(s.acquired_total)}});
  append_metric(out, "karma_db_pool_timeouts_total", "Waits for a connection that timed out.",
                "counter", {{"", std::to_string(s.timeouts_total)}});
  append_metric(out, "karma_db_statements_total", "Statements run (counted as connections return).",
                "counter", {{"", std::to_string(s.statements_total)}});
}

}  // namespace karma::ops
