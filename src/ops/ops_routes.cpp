#include "ops/ops_routes.hpp"

#include <boost/json/array.hpp>

#include "core/app_error.hpp"
#include "db/migrations.hpp"
#include "ops/ops_module.hpp"

namespace karma::ops {

using http::Request;
using http::Response;

void mount_ops_routes(http::Router& router, db::Database& db, http::Metrics& metrics,
                      std::string version) {
  // Liveness must answer even when every worker is busy: it runs inline and touches nothing.
  router.get("/healthz",
             [version](Request&) {
               return Response::ok(boost::json::object{{"status", "ok"}, {"version", version}});
             },
             {.guard = http::Guard::open, .blocking = false});

  router.get("/readyz",
             [&db](Request&) {
               if (!db.ping())
                 throw AppError(ErrorCode::unavailable, "Database unreachable",
                                boost::json::object{{"database", "down"}});
               const auto pending = db::pending_migrations(db);
               if (!pending.empty()) {
                 boost::json::array names;
                 for (const auto& n : pending) names.emplace_back(n);
                 throw AppError(ErrorCode::unavailable, "Database migrations pending",
                                boost::json::object{{"pendingMigrations", std::move(names)}});
               }
               return Response::ok(boost::json::object{
                   {"status", "ready"}, {"database", "ok"}, {"migrations", "current"}});
             },
             {.guard = http::Guard::open});

  metrics.add_collector([&db](std::string& out) {
    const db::PoolStats s = db.stats();
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
  });
  router.get("/metrics",
             [&metrics](Request&) {
               return Response::text(200, metrics.render(),
                                     "text/plain; version=0.0.4; charset=utf-8");
             },
             {.guard = http::Guard::open, .blocking = false});
}

}  // namespace karma::ops

namespace karma::ops {

void OpsModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_ops_routes(router, db_, metrics_, version_);
}

}  // namespace karma::ops
