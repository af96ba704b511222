#include "ops/ops_routes.hpp"

#include <mutex>

#include "core/config.hpp"
#include "core/json.hpp"
#include "ops/api_docs.hpp"
#include "ops/ops_module.hpp"

namespace karma::ops {

using http::Request;
using http::Response;

void mount_ops_routes(http::Router& router, const DatabaseHealth& health,
                      const realtime::EventBus& bus, http::Metrics& metrics, std::string version) {
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
           [&health, &bus](Request&) {
             health.require_ready();
             boost::json::object ready{
                 {"status", "ready"}, {"database", "ok"}, {"migrations", "current"}};
             // Without Redis the instance still serves its own clients: reported, not failed.
             if (const auto shared = bus.shared()) ready["redis"] = *shared ? "ok" : "down";
             return Response::ok(std::move(ready));
           },
           {.guard = http::Guard::open})
      .describe({.operation_id = "ready",
                 .summary = "Readiness: the database answers and its migrations are applied "
                            "(and whether Redis reaches the other instances, when configured)",
                 .tag = "Operations",
                 .replies = {{200, object({{"status", string()},
                                           {"database", string()},
                                           {"migrations", string()},
                                           {"redis", string()}},
                                          {"status", "database", "migrations"})}}});

  metrics.add_collector([&health](std::string& out) { health.append_metrics(out); });
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
    : health_(platform.db),
      bus_(platform.bus),
      metrics_(metrics),
      version_(std::move(version)),
      docs_(std::make_shared<const ApiDocs>(
          platform.config.docs_assets_dir.empty()
              ? default_docs_assets_dir()
              : std::filesystem::path(platform.config.docs_assets_dir))) {}

void OpsModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_ops_routes(router, health_, bus_, metrics_, version_);
  mount_api_docs(router, docs_);
}

}  // namespace karma::ops
