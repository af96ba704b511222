#pragma once
#include "http/router.hpp"
#include "projects/project_service.hpp"

namespace karma::projects {

// /api/projects and everything below it (API.md §4).
void mount_project_routes(http::Router& router, ProjectService& service);

}  // namespace karma::projects
