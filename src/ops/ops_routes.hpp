#pragma once
#include <string>

#include "http/metrics.hpp"
#include "http/router.hpp"
#include "ops/database_health.hpp"

namespace karma::ops {

// /healthz, /readyz and /metrics (public, outside /api).
void mount_ops_routes(http::Router& router, const DatabaseHealth& health, http::Metrics& metrics,
                      std::string version);

}  // namespace karma::ops
