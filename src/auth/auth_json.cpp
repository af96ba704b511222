#include "auth/auth_json.hpp"

#include "core/validation.hpp"
#include "http/openapi.hpp"

namespace karma::auth {

namespace bj = boost::json;

namespace {

const StringRule kEmailRule{3, 254, true, [](std::string_view s) {
                              return looks_like_email(s) ? std::string()
                                                         : std::string("must be an email address");
                            }};
const StringRule kNameRule{1, 100};
// Passwords are taken byte for byte: never trimmed.
const StringRule kPasswordRule{8, 128, false};
// Login accepts any non-empty password, so a policy change never locks anyone out.
const StringRule kAnyPasswordRule{1, 1024, false};
const StringRule kTokenRule{1, 512, true};
const StringRule kAvatarRule{0, 2048};

}  // namespace

bj::object user_json(const UserRecord& u) {
  return bj::object{{"id", u.id},
                    {"email", u.email},
                    {"name", u.name},
                    {"avatar", u.avatar ? bj::value(*u.avatar) : bj::value(nullptr)},
                    {"role", u.role},
                    {"emailVerified", u.email_verified},
                    {"createdAt", iso8601(u.created_at)},
                    {"updatedAt", iso8601(u.updated_at)}};
}

bj::object session_json(const AuthSession& s) {
  return bj::object{{"user", user_json(s.user)},
                    {"accessToken", s.access_token},
                    {"refreshToken", s.refresh_token},
                    {"expiresIn", s.expires_in},
                    {"tokenType", kTokenTypes[0]}};
}

RegisterInput parse_register(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  auto email = fields.string("email", kEmailRule, true);
  auto password = fields.string("password", kPasswordRule, true);
  auto name = fields.string("name", kNameRule, true);
  violations.throw_if_any();
  return RegisterInput{*email, *password, *name};
}

LoginInput parse_login(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  auto email = fields.string("email", {1, 254}, true);
  auto password = fields.string("password", kAnyPasswordRule, true);
  violations.throw_if_any();
  return LoginInput{*email, *password};
}

std::string parse_refresh_token(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  auto token = fields.string("refreshToken", kTokenRule, true);
  violations.throw_if_any();
  return *token;
}

ProfileChange parse_profile_change(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  ProfileChange change;
  change.name = fields.string("name", kNameRule, false);
  if (auto it = body.find("avatar"); it != body.end()) {
    change.avatar_given = true;
    change.avatar = fields.string("avatar", kAvatarRule, false);
    if (change.avatar && change.avatar->empty()) change.avatar.reset();
  }
  violations.throw_if_any();
  return change;
}

PasswordChange parse_password_change(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  auto current = fields.string("currentPassword", kAnyPasswordRule, true);
  auto next = fields.string("newPassword", kPasswordRule, true);
  violations.throw_if_any();
  return PasswordChange{*current, *next};
}

void add_auth_schemas(http::Components& components) {
  using namespace http::schema;
  components.add("User", object({{"id", uuid()},
                                 {"email", string(254)},
                                 {"name", string(100)},
                                 {"avatar", nullable(string())},
                                 {"role", one_of(kRoles)},
                                 {"emailVerified", boolean()},
                                 {"createdAt", date_time()},
                                 {"updatedAt", date_time()}},
                                {"id", "email", "name", "avatar", "role", "emailVerified",
                                 "createdAt", "updatedAt"}));
  components.add("Session",
                 object({{"user", ref("User")},
                         {"accessToken", string()},
                         {"refreshToken", string()},
                         {"expiresIn", integer(1)},
                         {"tokenType", one_of(kTokenTypes)}},
                        {"user", "accessToken", "refreshToken", "expiresIn", "tokenType"}));
  components.add(
      "RegisterInput",
      input({{"email", string(254, 3)}, {"password", string(128, 8)}, {"name", string(100, 1)}},
            {"email", "password", "name"}));
  components.add("LoginInput", input({{"email", string(254, 1)}, {"password", string(1024, 1)}},
                                     {"email", "password"}));
  components.add("RefreshInput", input({{"refreshToken", string(512, 1)}}, {"refreshToken"}));
  components.add("ProfileChange",
                 input({{"name", string(100, 1)}, {"avatar", nullable(string(2048))}}));
  components.add("PasswordChange",
                 input({{"currentPassword", string(1024, 1)}, {"newPassword", string(128, 8)}},
                       {"currentPassword", "newPassword"}));
}

}  // namespace karma::auth
