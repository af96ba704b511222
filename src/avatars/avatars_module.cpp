#include "avatars/avatars_module.hpp"

#include "avatars/avatar_routes.hpp"
#include "core/config.hpp"

namespace karma::avatars {

AvatarsModule::AvatarsModule(const Platform& platform, auth::UserDirectory& users,
                             billing::PlanDirectory& plans)
    : service_(platform.db, platform.bus, users, plans),
      rendered_pages_(platform.config.response_cache_bytes) {}

void AvatarsModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_avatar_routes(router, service_, rendered_pages_);
}

}  // namespace karma::avatars
