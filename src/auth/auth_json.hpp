#pragma once
// DTO ↔ JSON for auth: request bodies are validated field by field here.
#include <boost/json/object.hpp>

#include <array>
#include <string_view>

#include "auth/auth_service.hpp"

namespace karma::http {
class Components;
}

namespace karma::auth {

inline constexpr std::array<std::string_view, 2> kRoles{"user", "admin"};
inline constexpr std::array<std::string_view, 1> kTokenTypes{"Bearer"};

boost::json::object user_json(const UserRecord& user);
// {user, accessToken, refreshToken, expiresIn, tokenType}
boost::json::object session_json(const AuthSession& session);

// The schemas of the above (User, Session) and of the bodies parsed below.
void add_auth_schemas(http::Components& components);

RegisterInput parse_register(const boost::json::object& body);
LoginInput parse_login(const boost::json::object& body);
std::string parse_refresh_token(const boost::json::object& body);
ProfileChange parse_profile_change(const boost::json::object& body);
PasswordChange parse_password_change(const boost::json::object& body);

}  // namespace karma::auth
