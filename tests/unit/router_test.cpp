#include "http/router.hpp"

#include <gtest/gtest.h>

#include "core/app_error.hpp"

namespace karma::http {
namespace {

Response text(std::string body) {
  return Response::text(200, std::move(body), "text/plain");
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router.get("/api/devices", [](Request&) { return text("list"); });
    router.post("/api/devices", [](Request&) { return text("create"); });
    router.get("/api/devices/:id", [](Request& r) { return text(std::string(r.param("id"))); });
    router.del("/api/devices/:id", [](Request&) { return text("delete"); });
    router.get("/api/devices/:id/files/:fileId", [](Request& r) {
      return text(std::string(r.param("id")) + "/" + std::string(r.param("fileId")));
    });
    router.get("/healthz", [](Request&) { return text("ok"); }, {.guard = Guard::open});
  }
  Router router;
};

TEST_F(RouterTest, MatchesStaticAndParameterisedPaths) {
  auto m = router.match("GET", "/api/devices");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/devices");

  m = router.match("GET", "/api/devices/abc/files/xyz");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/devices/:id/files/:fileId");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "abc"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"fileId", "xyz"}));
}

// The realtime hub also answers at "/" (the web app's session manager connects to the bare host).
TEST_F(RouterTest, TheRootRouteIsTheRootPathAlone) {
  EXPECT_EQ(router.match("GET", "/").route, nullptr) << "no root route yet";
  router.get("/", [](Request&) { return text("root"); }, {.guard = Guard::open});
  auto m = router.match("GET", "/");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/");
  EXPECT_EQ(router.match("GET", "/api/devices").route->pattern, "/api/devices");
  EXPECT_EQ(router.match("GET", "/nothing").route, nullptr);
}

TEST_F(RouterTest, ServesEveryApiRouteUnderV1Too) {
  auto m = router.match("GET", "/api/v1/devices/42");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/devices/:id");
  EXPECT_EQ(m.params.at(0).second, "42");
  EXPECT_EQ(router.match("GET", "/api/v1").route, nullptr);
  // Only a whole "v1" segment is the version prefix.
  EXPECT_EQ(router.match("GET", "/api/v1devices").route, nullptr);
}

TEST_F(RouterTest, IgnoresTrailingSlash) {
  auto m = router.match("GET", "/api/devices/");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/devices");
}

TEST_F(RouterTest, ReportsAllowedMethodsWhenOnlyTheMethodIsWrong) {
  auto m = router.match("PATCH", "/api/devices/1");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, "GET, DELETE");
}

TEST_F(RouterTest, UnknownPathsMatchNothing) {
  for (const char* path : {"/", "/api", "/api/devices/1/files", "/api/devices/1/x/2",
                           "/api//devices", "/healthz/extra", "/api/devicesx"}) {
    auto m = router.match("GET", path);
    EXPECT_EQ(m.route, nullptr) << path;
    EXPECT_TRUE(m.allowed.empty()) << path;
  }
}

TEST_F(RouterTest, AuthenticatedRoutesRunTheGuardBeforeTheHandler) {
  bool handler_ran = false;
  router.get("/api/secret", [&](Request&) {
    handler_ran = true;
    return text("secret");
  });
  router.set_authenticator([](const Request& r) -> Caller {
    if (r.header("authorization") != "Bearer good") throw AppError::unauthorized();
    return Caller{"u1", "user"};
  });
  auto m = router.match("GET", "/api/secret");
  ASSERT_NE(m.route, nullptr);
  Request anonymous;
  EXPECT_EQ(router.execute(*m.route, anonymous).status, 401);
  EXPECT_FALSE(handler_ran);

  Request authorised;
  authorised.headers.push_back({"authorization", "Bearer good"});
  EXPECT_EQ(router.execute(*m.route, authorised).status, 200);
  EXPECT_TRUE(handler_ran);
  ASSERT_TRUE(authorised.caller.has_value());
  EXPECT_EQ(authorised.caller->user_id, "u1");
}

// Each guard, on a route of a group: who reaches the handler, and what it is handed.
TEST_F(RouterTest, GuardsAdmitOnlyTheCredentialTheyAskFor) {
  router.set_authenticator([](const Request& r) -> Caller {
    if (r.credentials("Bearer") != "good") throw AppError::unauthorized();
    return Caller{"u1", "user"};
  });
  int ran = 0;
  const auto count = [&ran](Request&) {
    ++ran;
    return text("ran");
  };
  auto group = router.group("/api/things/:id");  // the user guard by default
  group.get("/user", count);
  group.get("/device", count, {.guard = Guard::device});
  group.get("/either", count, {.guard = Guard::user_or_device});
  group.get("/open", count, {.guard = Guard::open});
  group.get("/signed", count, {.guard = Guard::signature, .signature = [](const Request& r) {
                                 if (r.header("x-signature") != "sig:" + r.body)
                                   throw AppError::unauthorized();
                               }});
  group.get("/unchecked", count, {.guard = Guard::signature});  // no check given: nobody

  const auto call = [&](std::string_view path, std::vector<Header> headers, std::string body = {}) {
    const Match m = router.match("GET", path);
    EXPECT_NE(m.route, nullptr) << path;
    if (!m.route) return std::make_pair(0, Request{});
    Request request;
    request.headers = std::move(headers);
    request.body = std::move(body);
    request.path_params = m.params;
    const int before = ran;
    const int status = router.execute(*m.route, request).status;
    EXPECT_EQ(ran - before, status == 200 ? 1 : 0) << path << ": the handler ran on a refusal";
    return std::make_pair(status, std::move(request));
  };
  const Header bearer{"authorization", "Bearer good"};
  const Header device{"authorization", "Device dev-token"};

  EXPECT_EQ(call("/api/things/1/user", {}).first, 401);
  EXPECT_EQ(call("/api/things/1/user", {device}).first, 401);
  auto [status, request] = call("/api/things/1/user", {bearer});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(request.caller->user_id, "u1");
  EXPECT_EQ(request.path_params.at(0).second, "1") << "the group's prefix carries its parameter";

  EXPECT_EQ(call("/api/things/1/device", {}).first, 401);
  EXPECT_EQ(call("/api/things/1/device", {bearer}).first, 401);
  std::tie(status, request) = call("/api/things/1/device", {device});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(request.device_token, "dev-token");
  EXPECT_FALSE(request.caller.has_value());

  EXPECT_EQ(call("/api/things/1/either", {}).first, 401);
  EXPECT_EQ(call("/api/things/1/either", {{"authorization", "Bearer bad"}}).first, 401);
  std::tie(status, request) = call("/api/things/1/either", {bearer});
  EXPECT_TRUE(status == 200 && request.caller && request.device_token.empty());
  std::tie(status, request) = call("/api/things/1/either", {device});
  EXPECT_TRUE(status == 200 && !request.caller && request.device_token == "dev-token");

  EXPECT_EQ(call("/api/things/1/open", {}).first, 200);

  EXPECT_EQ(call("/api/things/1/signed", {bearer}, "payload").first, 401);
  EXPECT_EQ(call("/api/things/1/signed", {{"x-signature", "sig:other"}}, "payload").first, 401);
  EXPECT_EQ(call("/api/things/1/signed", {{"x-signature", "sig:payload"}}, "payload").first, 200);
  EXPECT_EQ(call("/api/things/1/unchecked", {bearer}).first, 500) << "fails closed";
}

TEST_F(RouterTest, WithoutAnAuthenticatorUserRoutesFailClosed) {
  router.get("/api/secret", [](Request&) { return text("secret"); });
  Request request;
  request.headers.push_back({"authorization", "Bearer anything"});
  EXPECT_EQ(router.execute(*router.match("GET", "/api/secret").route, request).status, 500);
}

TEST_F(RouterTest, IdParamsMustBeUuids) {
  Request req;
  req.path_params = {{"id", "8A6E0804-2BD0-4672-B79D-D97027F9071A"}};
  EXPECT_EQ(req.id_param("id", "Device"), "8a6e0804-2bd0-4672-b79d-d97027f9071a");
  for (const char* bad : {"42", "' OR 1=1 --", "8a6e0804-2bd0-4672-b79d-d97027f9071a0", ""}) {
    req.path_params = {{"id", bad}};
    try {
      req.id_param("id", "Device");
      FAIL() << "accepted " << bad;
    } catch (const AppError& e) {
      EXPECT_EQ(e.code(), ErrorCode::not_found);
      EXPECT_STREQ(e.what(), "Device not found");
    }
  }
}

TEST_F(RouterTest, ExceptionsBecomeEnvelopes) {
  router.get("/api/boom", [](Request&) -> Response { throw std::runtime_error("secret detail"); },
             {.guard = Guard::open});
  router.get("/api/conflict",
             [](Request&) -> Response { throw AppError::conflict("taken", "email"); },
             {.guard = Guard::open});
  Request req;
  auto boom = router.execute(*router.match("GET", "/api/boom").route, req);
  EXPECT_EQ(boom.status, 500);
  EXPECT_NE(boom.body.find("INTERNAL_ERROR"), std::string::npos);
  EXPECT_EQ(boom.body.find("secret detail"), std::string::npos) << "internals must not leak";

  auto conflict = router.execute(*router.match("GET", "/api/conflict").route, req);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_NE(conflict.body.find("\"field\":\"email\""), std::string::npos);
}

TEST_F(RouterTest, TranslatorMapsForeignExceptions) {
  router.get("/api/db", [](Request&) -> Response { throw std::out_of_range("db down"); },
             {.guard = Guard::open});
  router.set_error_translator([](const std::exception& e) -> std::optional<AppError> {
    if (dynamic_cast<const std::out_of_range*>(&e)) return AppError(ErrorCode::unavailable, "down");
    return std::nullopt;
  });
  Request req;
  EXPECT_EQ(router.execute(*router.match("GET", "/api/db").route, req).status, 503);
}

}  // namespace
}  // namespace karma::http
