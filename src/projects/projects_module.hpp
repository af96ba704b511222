#pragma once
// The projects feature: projects, members and tasks (API.md §4). Tasks are done by avatars,
// which it reaches through AvatarDirectory.
#include "auth/user_directory.hpp"
#include "avatars/avatar_directory.hpp"
#include "core/stamped_cache.hpp"
#include "platform/module.hpp"
#include "projects/project_service.hpp"

namespace karma::projects {

class ProjectsModule final : public Module {
 public:
  ProjectsModule(const Platform& platform, auth::UserDirectory& users,
                 avatars::AvatarDirectory& avatars, billing::PlanDirectory& plans);
  ProjectService& service() { return service_; }
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  ProjectService service_;
  StampedCache rendered_lists_;
};

}  // namespace karma::projects
