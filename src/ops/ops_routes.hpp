#pragma once
#include <string>

#include "http/metrics.hpp"
#include "http/router.hpp"
#include "ops/database_health.hpp"
#include "realtime/event_bus.hpp"

namespace karma::ops {

// /healthz, /readyz and /metrics (public, outside /api). `bus` says whether events reach the
// other instances (Redis), which /readyz reports without failing on it.
void mount_ops_routes(http::Router& router, const DatabaseHealth& health,
                      const realtime::EventBus& bus, http::Metrics& metrics, std::string version);

}  // namespace karma::ops
