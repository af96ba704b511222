#pragma once
#include "auth/auth_service.hpp"
#include "http/router.hpp"

namespace karma::auth {

// /api/auth/* and /api/users/me*; also installs the router's bearer-token guard.
void mount_auth_routes(http::Router& router, AuthService& service);

}  // namespace karma::auth
