#pragma once
#include "avatars/avatar_service.hpp"
#include "http/router.hpp"

namespace karma::avatars {

// /api/avatars and /api/store/avatars (API.md §5).
void mount_avatar_routes(http::Router& router, AvatarService& service);

}  // namespace karma::avatars
