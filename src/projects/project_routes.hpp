#pragma once
#include "core/stamped_cache.hpp"
#include "http/router.hpp"
#include "projects/project_service.hpp"

namespace karma::projects {

// /api/projects and everything below it (API.md §4). `rendered` keeps project lists.
void mount_project_routes(http::Router& router, ProjectService& service, StampedCache& rendered);

}  // namespace karma::projects
