#pragma once
#include "db/database.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace karma::ops {

// /healthz, /readyz and /metrics (public, outside /api).
void mount_ops_routes(http::Router& router, db::Database& db, http::Metrics& metrics,
                      std::string version);

}  // namespace karma::ops
