#pragma once
#include "avatars/avatar_service.hpp"
#include "core/stamped_cache.hpp"
#include "http/router.hpp"

namespace karma::avatars {

// /api/avatars and /api/store/avatars (API.md §5).
// `rendered` keeps store pages.
void mount_avatar_routes(http::Router& router, AvatarService& service, StampedCache& rendered);

}  // namespace karma::avatars
