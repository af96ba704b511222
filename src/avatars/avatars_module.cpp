#include "avatars/avatars_module.hpp"

#include "avatars/avatar_routes.hpp"

namespace karma::avatars {

AvatarsModule::AvatarsModule(const Platform& platform, auth::UserDirectory& users,
                             billing::PlanDirectory& plans)
    : service_(platform.db, platform.bus, users, plans) {}

void AvatarsModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_avatar_routes(router, service_);
}

}  // namespace karma::avatars
