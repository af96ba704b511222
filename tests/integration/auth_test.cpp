// Every case of API.md §1 against SQLite and PostgreSQL.
#include <boost/json.hpp>

#include <thread>

#include "auth/jwt.hpp"
#include "core/crypto.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

std::string error_code(const ClientResponse& r) {
  const auto v = r.json();
  if (!v.is_object() || !v.as_object().contains("error")) return "<no error envelope>";
  return std::string(v.at("error").at("code").as_string());
}

class AuthTest : public BackendTest {
 protected:
  ClientResponse login(const std::string& email, const std::string& password,
                       const std::string& ip) {
    return client().request("POST", "/api/auth/login",
                            body({{"email", email}, {"password", password}}), from_ip(ip));
  }
  ClientResponse me(const std::string& token) {
    return client().request("GET", "/api/auth/me", {}, bearer(token));
  }
  ClientResponse refresh(const std::string& token) {
    return client().request("POST", "/api/auth/refresh", body({{"refreshToken", token}}));
  }
  // A token signed with the server's own secret, with chosen times.
  std::string signed_token(const std::string& user_id, std::int64_t iat, std::int64_t exp) {
    return auth::JwtCodec(server().config.secret_key)
        .sign(auth::AccessClaims{user_id, crypto::uuid_v4(), iat, exp});
  }
};

TEST_P(AuthTest, RegisterReturnsUserAndTokens) {
  const std::string email = unique_email("Mixed.Case");
  const auto r = client().request(
      "POST", "/api/v1/auth/register",
      body(
          {{"email", email}, {"password", "password123"}, {"name", "  Ann Lee  "}, {"plan", "x"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto v = r.json();
  EXPECT_EQ(v.at("success"), true);
  EXPECT_TRUE(v.at("timestamp").is_int64());
  const auto& data = v.at("data");
  const auto& user = data.at("user");
  EXPECT_TRUE(crypto::is_uuid(user.at("id").as_string()));
  std::string lowered = email;
  for (char& c : lowered) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(user.at("email"), lowered.c_str());
  EXPECT_EQ(user.at("name"), "Ann Lee");
  EXPECT_TRUE(user.at("avatar").is_null());
  EXPECT_EQ(user.at("role"), "user");
  EXPECT_EQ(user.at("emailVerified"), false);
  EXPECT_TRUE(parse_timestamp(user.at("createdAt").as_string()).has_value());
  EXPECT_TRUE(parse_timestamp(user.at("updatedAt").as_string()).has_value());
  EXPECT_FALSE(user.as_object().contains("passwordHash"));
  EXPECT_EQ(data.at("expiresIn"), 1800);
  EXPECT_EQ(std::count(data.at("accessToken").as_string().begin(),
                       data.at("accessToken").as_string().end(), '.'),
            2);
  EXPECT_GE(data.at("refreshToken").as_string().size(), 40u);
}

TEST_P(AuthTest, RegisterRejectsTakenEmailCaseInsensitively) {
  const Account a = register_account(client());
  std::string upper = a.email;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  const auto r =
      client().request("POST", "/api/auth/register",
                       body({{"email", upper}, {"password", "password123"}, {"name", "Dup"}}));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error_code(r), "CONFLICT");
  EXPECT_EQ(r.json().at("error").at("details").at("field"), "email");
}

TEST_P(AuthTest, RegisterValidatesEveryField) {
  struct Case {
    bj::object body;
    std::string field;
  };
  const std::string email = unique_email();
  const std::vector<Case> cases = {
      {{{"password", "password123"}, {"name", "N"}}, "email"},
      {{{"email", "not-an-email"}, {"password", "password123"}, {"name", "N"}}, "email"},
      {{{"email", 12345}, {"password", "password123"}, {"name", "N"}}, "email"},
      {{{"email", email}, {"password", "short7!"}, {"name", "N"}}, "password"},
      {{{"email", email}, {"password", std::string(129, 'p')}, {"name", "N"}}, "password"},
      {{{"email", email}, {"password", true}, {"name", "N"}}, "password"},
      {{{"email", email}, {"password", "password123"}, {"name", ""}}, "name"},
      {{{"email", email}, {"password", "password123"}, {"name", "   "}}, "name"},
      {{{"email", email}, {"password", "password123"}, {"name", std::string(101, 'n')}}, "name"},
      {{{"email", email}, {"password", "password123"}, {"name", bj::array{"x"}}}, "name"},
  };
  for (const auto& c : cases) {
    const auto r = client().request("POST", "/api/auth/register", body(c.body));
    EXPECT_EQ(r.status, 400) << body(c.body);
    EXPECT_EQ(error_code(r), "VALIDATION_ERROR");
    EXPECT_EQ(r.json().at("error").at("details").at("field"), c.field.c_str()) << r.body;
  }
  const auto all_missing = client().request("POST", "/api/auth/register", "{}");
  EXPECT_EQ(all_missing.status, 400);
  EXPECT_EQ(all_missing.json().at("error").at("details").at("fields").as_array().size(), 3u);
  // Nothing was half-written: the email is still free.
  EXPECT_EQ(client()
                .request("POST", "/api/auth/register",
                         body({{"email", email}, {"password", "password123"}, {"name", "N"}}))
                .status,
            201);
}

TEST_P(AuthTest, MalformedBodiesAreValidationErrors) {
  for (const char* raw : {"{", "not json", "[1,2]", "\"str\"", "", "{\"email\":}"}) {
    const auto r = client().request("POST", "/api/auth/login", raw);
    EXPECT_EQ(r.status, 400) << raw;
    EXPECT_EQ(error_code(r), "VALIDATION_ERROR") << raw;
  }
}

TEST_P(AuthTest, LoginIsCaseInsensitiveAndIssuesWorkingTokens) {
  const Account a = register_account(client());
  std::string upper = a.email;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  const auto r = login(upper, a.password, unique_ip());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto data = r.json().at("data");
  EXPECT_EQ(data.at("user").at("id"), a.id.c_str());
  const auto m = me(std::string(data.at("accessToken").as_string()));
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.json().at("data").at("user").at("id"), a.id.c_str());
}

TEST_P(AuthTest, WrongPasswordAndUnknownEmailLookTheSame) {
  const Account a = register_account(client());
  const auto wrong = login(a.email, "wrong-password", unique_ip());
  const auto unknown = login(unique_email("ghost"), "wrong-password", unique_ip());
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.json().at("error"), unknown.json().at("error"));
}

TEST_P(AuthTest, RepeatedFailuresThrottleTheAccount) {
  const Account a = register_account(client());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login(a.email, "wrong-password", unique_ip()).status, 401);
  // Even the right password waits now, from any address.
  const auto r = login(a.email, a.password, unique_ip());
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(error_code(r), "RATE_LIMIT_EXCEEDED");
  const int retry_after = std::stoi(std::string(r.header("retry-after")));
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 900);
  // Other accounts are unaffected.
  const Account b = register_account(client());
  EXPECT_EQ(login(b.email, b.password, unique_ip()).status, 200);
}

TEST_P(AuthTest, RepeatedFailuresThrottleTheClientAddress) {
  const std::string ip = unique_ip();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(login(unique_email("spray"), "whatever1", ip).status, 401);
  const Account a = register_account(client());
  const auto blocked = login(a.email, a.password, ip);
  EXPECT_EQ(blocked.status, 429);
  EXPECT_FALSE(blocked.header("retry-after").empty());
  EXPECT_EQ(login(a.email, a.password, unique_ip()).status, 200);
}

TEST_P(AuthTest, SuccessfulLoginClearsAccountFailures) {
  const Account a = register_account(client());
  for (int i = 0; i < 4; ++i) login(a.email, "wrong-password", unique_ip());
  EXPECT_EQ(login(a.email, a.password, unique_ip()).status, 200);
  for (int i = 0; i < 4; ++i) login(a.email, "wrong-password", unique_ip());
  EXPECT_EQ(login(a.email, a.password, unique_ip()).status, 200);
}

TEST_P(AuthTest, MeRejectsMissingForgedAndExpiredTokens) {
  const Account a = register_account(client());
  const std::int64_t now = now_ms() / 1000;
  auto expect_401 = [&](const std::vector<http::Header>& headers, const char* what) {
    const auto r = client().request("GET", "/api/auth/me", {}, headers);
    EXPECT_EQ(r.status, 401) << what;
    EXPECT_EQ(error_code(r), "UNAUTHORIZED") << what;
  };
  expect_401({}, "no header");
  expect_401({{"authorization", "Bearer"}}, "empty bearer");
  expect_401({{"authorization", "Basic dXNlcjpwYXNz"}}, "basic auth");
  expect_401(bearer("garbage"), "garbage");
  expect_401(bearer(signed_token(a.id, now - 7200, now - 10)), "expired");
  expect_401(bearer(auth::JwtCodec("some-other-secret").sign({a.id, "j", now, now + 600})),
             "other secret");
  const std::string none_token =
      crypto::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
      crypto::base64url_encode(R"({"iss":"karma","sub":")" + a.id +
                               R"(","jti":"x","iat":1,"exp":99999999999})") +
      ".";
  expect_401(bearer(none_token), "alg none");
  expect_401(bearer(signed_token(crypto::uuid_v4(), now, now + 600)), "unknown user");
  expect_401(bearer(signed_token("' OR '1'='1", now, now + 600)), "injection in sub");
  // The real one still works.
  EXPECT_EQ(me(a.access_token).status, 200);
  EXPECT_EQ(me(signed_token(a.id, now, now + 600)).status, 200);
}

TEST_P(AuthTest, DeletedUsersTokensStopWorking) {
  const Account a = register_account(client());
  server().app->database().query("DELETE FROM users WHERE id = $1", {a.id});
  EXPECT_EQ(me(a.access_token).status, 401);
  EXPECT_EQ(refresh(a.refresh_token).status, 401);

  // A token the guard accepted a moment ago may pass until its user lookup expires
  // (AUTH_USER_CACHE_MS, 1 s here), never for long.
  const Account b = register_account(client());
  ASSERT_EQ(me(b.access_token).status, 200);
  server().app->database().query("DELETE FROM users WHERE id = $1", {b.id});
  const auto deleted = std::chrono::steady_clock::now();
  int status = 200;
  while (status == 200 && std::chrono::steady_clock::now() - deleted < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = me(b.access_token).status;
  }
  EXPECT_EQ(status, 401);
  EXPECT_EQ(refresh(b.refresh_token).status, 401) << "refresh always asks the database";
}

TEST_P(AuthTest, RefreshRotatesAndSpentTokensRevokeTheFamily) {
  const Account a = register_account(client());
  const auto first = refresh(a.refresh_token);
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string second_token(first.json().at("data").at("refreshToken").as_string());
  EXPECT_NE(second_token, a.refresh_token);
  EXPECT_EQ(me(std::string(first.json().at("data").at("accessToken").as_string())).status, 200);

  // The spent token comes back: reuse. It fails, and so does its successor.
  const auto reuse = refresh(a.refresh_token);
  EXPECT_EQ(reuse.status, 401);
  EXPECT_EQ(refresh(second_token).status, 401);

  // Other logins of the same user are other families and survive.
  const auto other = login(a.email, a.password, unique_ip());
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(refresh(std::string(other.json().at("data").at("refreshToken").as_string())).status,
            200);
}

TEST_P(AuthTest, ConcurrentRefreshesOfOneTokenSucceedAtMostOnce) {
  const Account a = register_account(client());
  std::vector<int> statuses(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto c = server().client();
      statuses[i] =
          c->request("POST", "/api/auth/refresh", body({{"refreshToken", a.refresh_token}})).status;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(std::count(statuses.begin(), statuses.end(), 200), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200) +
                std::count(statuses.begin(), statuses.end(), 401),
            4);
}

TEST_P(AuthTest, ExpiredAndUnknownRefreshTokensAreRejected) {
  const Account a = register_account(client());
  server().app->database().query("UPDATE refresh_tokens SET expires_at = $1 WHERE user_id = $2",
                                 {db::Timestamp{now_ms() - 1000}, a.id});
  EXPECT_EQ(refresh(a.refresh_token).status, 401);
  EXPECT_EQ(refresh("not-a-real-token").status, 401);
  const auto missing = client().request("POST", "/api/auth/refresh", "{}");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json().at("error").at("details").at("field"), "refreshToken");
}

TEST_P(AuthTest, LogoutRevokesTheRefreshToken) {
  const Account a = register_account(client());
  const std::string payload = body({{"refreshToken", a.refresh_token}});
  EXPECT_EQ(client().request("POST", "/api/auth/logout", payload).status, 401);
  const auto r = client().request("POST", "/api/auth/logout", payload, bearer(a.access_token));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json().at("data").is_null());
  EXPECT_EQ(refresh(a.refresh_token).status, 401);
  // Idempotent.
  EXPECT_EQ(client().request("POST", "/api/auth/logout", payload, bearer(a.access_token)).status,
            200);
}

TEST_P(AuthTest, LogoutCannotRevokeSomeoneElsesToken) {
  const Account a = register_account(client());
  const Account b = register_account(client());
  EXPECT_EQ(client()
                .request("POST", "/api/auth/logout", body({{"refreshToken", a.refresh_token}}),
                         bearer(b.access_token))
                .status,
            200);
  EXPECT_EQ(refresh(a.refresh_token).status, 200);
}

TEST_P(AuthTest, UpdateProfile) {
  const Account a = register_account(client());
  auto r = client().request("PUT", "/api/users/me",
                            body({{"name", "Renamed"}, {"avatar", "https://cdn.example/a.png"}}),
                            bearer(a.access_token));
  ASSERT_EQ(r.status, 200) << r.body;
  auto user = r.json().at("data").at("user");
  EXPECT_EQ(user.at("name"), "Renamed");
  EXPECT_EQ(user.at("avatar"), "https://cdn.example/a.png");
  EXPECT_GE(*parse_timestamp(user.at("updatedAt").as_string()),
            *parse_timestamp(user.at("createdAt").as_string()));

  // PATCH with only avatar: null clears it and leaves the name.
  r = client().request("PATCH", "/api/v1/users/me", body({{"avatar", nullptr}}),
                       bearer(a.access_token));
  ASSERT_EQ(r.status, 200) << r.body;
  user = r.json().at("data").at("user");
  EXPECT_EQ(user.at("name"), "Renamed");
  EXPECT_TRUE(user.at("avatar").is_null());
  EXPECT_EQ(me(a.access_token).json().at("data").at("user").at("name"), "Renamed");

  for (const auto& bad :
       {bj::object{{"name", ""}}, bj::object{{"name", std::string(101, 'x')}},
        bj::object{{"name", 5}}, bj::object{{"avatar", std::string(3000, 'a')}}}) {
    const auto rejected =
        client().request("PUT", "/api/users/me", body(bad), bearer(a.access_token));
    EXPECT_EQ(rejected.status, 400) << body(bad);
  }
  EXPECT_EQ(me(a.access_token).json().at("data").at("user").at("name"), "Renamed");
  EXPECT_EQ(client().request("PUT", "/api/users/me", body({{"name", "X"}})).status, 401);
}

TEST_P(AuthTest, ChangePassword) {
  const Account a = register_account(client());
  auto change = [&](const std::string& current, const std::string& next) {
    return client().request("POST", "/api/users/me/password",
                            body({{"currentPassword", current}, {"newPassword", next}}),
                            bearer(a.access_token));
  };
  const auto wrong = change("not-my-password", "brand-new-pass");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.json().at("error").at("details").at("field"), "currentPassword");
  const auto weak = change(a.password, "short");
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(weak.json().at("error").at("details").at("field"), "newPassword");

  const auto ok = change(a.password, "brand-new-pass");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.json().at("data").is_null());
  EXPECT_EQ(login(a.email, a.password, unique_ip()).status, 401);
  EXPECT_EQ(login(a.email, "brand-new-pass", unique_ip()).status, 200);
  // Every refresh token issued before the change is revoked.
  EXPECT_EQ(refresh(a.refresh_token).status, 401);
}

TEST_P(AuthTest, SqlMetacharactersAreData) {
  const std::string evil = "Robert'); DROP TABLE users; --";
  const auto r = client().request(
      "POST", "/api/auth/register",
      body({{"email", unique_email("o'brien")}, {"password", "pass' OR '1'='1"}, {"name", evil}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("data").at("user").at("name"), evil.c_str());
  EXPECT_EQ(login("' OR 1=1 --@x.io", "' OR '1'='1", unique_ip()).status, 401);
  EXPECT_EQ(register_account(client()).email.empty(), false);  // users table still there
}

TEST_P(AuthTest, OversizedBodiesAreRefusedBeforeParsing) {
  const std::string huge = body({{"email", unique_email()},
                                 {"password", "password123"},
                                 {"name", std::string(1024 * 1024, 'n')}});
  const auto r = client().request("POST", "/api/auth/register", huge);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(error_code(r), "PAYLOAD_TOO_LARGE");
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthTest, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace karma::testing
