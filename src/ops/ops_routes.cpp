#include "ops/ops_routes.hpp"

#include <boost/json/array.hpp>

#include <mutex>

#include "core/app_error.hpp"
#include "core/config.hpp"
#include "core/json.hpp"
#include "db/migrations.hpp"
#include "ops/api_docs.hpp"
#include "ops/ops_module.hpp"

namespace karma::ops {

using http::Request;
using http::Response;

void mount_ops_routes(http::Router& router, db::Database& db, http::Metrics& metrics,
                      std::string version) {
  using namespace http::schema;
  // Liveness must answer even when every worker is busy: it runs inline and touches nothing.
  router
      .get("/healthz",
           [version](Request&) {
             return Response::ok(boost::json::object{{"status", "ok"}, {"version", version}});
           },
           {.guard = http::Guard::open, .blocking = false})
      .describe({.operation_id = "health",
                 .summary = "Liveness: the process answers",
                 .tag = "Operations",
                 .replies = {{200, object({{"status", string()}, {"version", string()}},
                                          {"status", "version"})}}});

  router
      .get("/readyz",
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
           {.guard = http::Guard::open})
      .describe({.operation_id = "ready",
                 .summary = "Readiness: the database answers and its migrations are applied",
                 .tag = "Operations",
                 .replies = {{200, object({{"status", string()},
                                           {"database", string()},
                                           {"migrations", string()}},
                                          {"status", "database", "migrations"})}}});

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
    out += "# HELP karma_db_statements_total Statements run (counted as connections return).\n";
    out += "# TYPE karma_db_statements_total counter\n";
    out += "karma_db_statements_total " + std::to_string(s.statements_total) + "\n";
  });
  router
      .get("/metrics",
           [&metrics](Request&) {
             return Response::text(200, metrics.render(),
                                   "text/plain; version=0.0.4; charset=utf-8");
           },
           {.guard = http::Guard::open, .blocking = false})
      .describe({.operation_id = "metrics",
                 .summary = "Prometheus metrics",
                 .tag = "Operations",
                 .replies = {{200, string(), "Prometheus text format", "text/plain"}}});

  // Generated once, on first request: every feature has mounted its routes by then.
  auto document = std::make_shared<std::pair<std::once_flag, std::string>>();
  router
      .get("/api/openapi.json",
           [&router, version, document](Request&) {
             std::call_once(document->first, [&] {
               document->second =
                   json::serialize(http::openapi_document(router, router.components(), version));
             });
             return Response::text(200, document->second, "application/vnd.oai.openapi+json");
           },
           {.guard = http::Guard::open, .blocking = false})
      .describe(
          {.operation_id = "openapi",
           .summary = "This document",
           .tag = "Operations",
           .replies = {{200, free_object(), "OpenAPI 3.1", "application/vnd.oai.openapi+json"}}});
}

OpsModule::OpsModule(const Platform& platform, http::Metrics& metrics, std::string version)
    : db_(platform.db),
      metrics_(metrics),
      version_(std::move(version)),
      docs_(std::make_shared<const ApiDocs>(
          platform.config.docs_assets_dir.empty()
              ? default_docs_assets_dir()
              : std::filesystem::path(platform.config.docs_assets_dir))) {}

void OpsModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_ops_routes(router, db_, metrics_, version_);
  mount_api_docs(router, docs_);
}

}  // namespace karma::ops
