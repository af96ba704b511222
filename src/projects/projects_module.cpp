#include "projects/projects_module.hpp"

#include "projects/project_routes.hpp"

namespace karma::projects {

ProjectsModule::ProjectsModule(const Platform& platform, auth::UserDirectory& users,
                               avatars::AvatarDirectory& avatars)
    : service_(platform.db, platform.bus, users, avatars) {}

void ProjectsModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_project_routes(router, service_);
}

}  // namespace karma::projects
