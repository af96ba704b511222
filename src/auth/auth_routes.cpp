#include "auth/auth_routes.hpp"

#include "auth/auth_json.hpp"

namespace karma::auth {

namespace bj = boost::json;
using http::Request;
using http::Response;

void mount_auth_routes(http::Router& router, AuthService& service) {
  using namespace http::schema;
  add_auth_schemas(router.components());
  router.set_authenticator(
      [&service](const Request& req) { return service.authenticate(req.credentials("Bearer")); });

  // Register and login hash passwords: they run on the heavy pool.
  const http::RouteOptions open_hashing{.guard = http::Guard::open, .cpu_heavy = true};
  const http::RouteOptions open{.guard = http::Guard::open};
  router
      .post(
          "/api/auth/register",
          [&service](Request& req) {
            return Response::created(
                session_json(service.register_user(parse_register(req.json_body()))));
          },
          open_hashing)
      .describe({.operation_id = "register",
                 .summary = "Create an account and sign in",
                 .tag = "Auth",
                 .body = ref("RegisterInput"),
                 .replies = {{201, ref("Session")}},
                 .errors = {409}});
  router
      .post(
          "/api/auth/login",
          [&service](Request& req) {
            return Response::ok(
                session_json(service.login(parse_login(req.json_body()), req.client_ip)));
          },
          open_hashing)
      .describe({.operation_id = "login",
                 .summary = "Sign in with email and password",
                 .tag = "Auth",
                 .body = ref("LoginInput"),
                 .replies = {{200, ref("Session")}},
                 .errors = {401, 429}});
  router
      .post(
          "/api/auth/refresh",
          [&service](Request& req) {
            return Response::ok(
                session_json(service.refresh(parse_refresh_token(req.json_body()))));
          },
          open)
      .describe({.operation_id = "refreshSession",
                 .summary = "Trade a refresh token for a new session (the old token is spent)",
                 .tag = "Auth",
                 .body = ref("RefreshInput"),
                 .replies = {{200, ref("Session")}},
                 .errors = {401}});
  router
      .post("/api/auth/logout",
            [&service](Request& req) {
              service.logout(req.require_caller(), parse_refresh_token(req.json_body()));
              return Response::ok(nullptr);
            })
      .describe({.operation_id = "logout",
                 .summary = "Revoke a refresh token",
                 .tag = "Auth",
                 .body = ref("RefreshInput"),
                 .replies = {{200, bj::object{{"type", "null"}}}}});
  const auto user_reply = object({{"user", ref("User")}}, {"user"});
  router
      .get("/api/auth/me",
           [&service](Request& req) {
             return Response::ok(
                 boost::json::object{{"user", user_json(service.me(req.require_caller()))}});
           })
      .describe({.operation_id = "me",
                 .summary = "The signed-in user",
                 .tag = "Auth",
                 .replies = {{200, user_reply}}});
  const auto update_me = [&service](Request& req) {
    const auto change = parse_profile_change(req.json_body());
    return Response::ok(boost::json::object{
        {"user", user_json(service.update_profile(req.require_caller(), change))}});
  };
  for (const char* method : {"PUT", "PATCH"}) {
    router.add(method, "/api/users/me", update_me)
        .describe({.operation_id = method == std::string_view("PUT") ? "updateMe" : "patchMe",
                   .summary = "Change the signed-in user's name or avatar",
                   .tag = "Users",
                   .body = ref("ProfileChange"),
                   .replies = {{200, user_reply}}});
  }
  router
      .post("/api/users/me/password",
            [&service](Request& req) {
              service.change_password(req.require_caller(), parse_password_change(req.json_body()));
              return Response::ok(nullptr);
            },
            {.cpu_heavy = true})
      .describe({.operation_id = "changePassword",
                 .summary = "Change the password (other sessions are signed out)",
                 .tag = "Users",
                 .body = ref("PasswordChange"),
                 .replies = {{200, bj::object{{"type", "null"}}}}});
}

}  // namespace karma::auth
