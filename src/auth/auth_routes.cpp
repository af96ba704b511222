#include "auth/auth_routes.hpp"

#include "auth/auth_json.hpp"

namespace karma::auth {

using http::Request;
using http::Response;

void mount_auth_routes(http::Router& router, AuthService& service) {
  router.set_authenticator(
      [&service](const Request& req) { return service.authenticate(req.credentials("Bearer")); });

  // Register and login hash passwords: they run on the heavy pool.
  const http::RouteOptions open_hashing{.guard = http::Guard::open, .cpu_heavy = true};
  const http::RouteOptions open{.guard = http::Guard::open};
  router.post(
      "/api/auth/register",
      [&service](Request& req) {
        return Response::created(
            session_json(service.register_user(parse_register(req.json_body()))));
      },
      open_hashing);
  router.post(
      "/api/auth/login",
      [&service](Request& req) {
        return Response::ok(
            session_json(service.login(parse_login(req.json_body()), req.client_ip)));
      },
      open_hashing);
  router.post(
      "/api/auth/refresh",
      [&service](Request& req) {
        return Response::ok(session_json(service.refresh(parse_refresh_token(req.json_body()))));
      },
      open);
  router.post("/api/auth/logout", [&service](Request& req) {
    service.logout(req.require_caller(), parse_refresh_token(req.json_body()));
    return Response::ok(nullptr);
  });
  router.get("/api/auth/me", [&service](Request& req) {
    return Response::ok(boost::json::object{{"user", user_json(service.me(req.require_caller()))}});
  });
  const auto update_me = [&service](Request& req) {
    const auto change = parse_profile_change(req.json_body());
    return Response::ok(boost::json::object{
        {"user", user_json(service.update_profile(req.require_caller(), change))}});
  };
  router.put("/api/users/me", update_me);
  router.patch("/api/users/me", update_me);
  router.post("/api/users/me/password",
              [&service](Request& req) {
                service.change_password(req.require_caller(),
                                        parse_password_change(req.json_body()));
                return Response::ok(nullptr);
              },
              {.cpu_heavy = true});
}

}  // namespace karma::auth
