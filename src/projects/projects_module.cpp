#include "projects/projects_module.hpp"

#include "core/config.hpp"
#include "projects/project_routes.hpp"

namespace karma::projects {

ProjectsModule::ProjectsModule(const Platform& platform, auth::UserDirectory& users,
                               avatars::AvatarDirectory& avatars, billing::PlanDirectory& plans)
    : service_(platform.db, platform.bus, users, avatars, plans),
      rendered_lists_(platform.config.response_cache_bytes) {}

void ProjectsModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_project_routes(router, service_, rendered_lists_);
}

}  // namespace karma::projects
