#pragma once
// DTO ↔ JSON for auth: request bodies are validated field by field here.
#include <boost/json/object.hpp>

#include "auth/auth_service.hpp"

namespace karma::auth {

boost::json::object user_json(const UserRecord& user);
// {user, accessToken, refreshToken, expiresIn, tokenType}
boost::json::object session_json(const AuthSession& session);

RegisterInput parse_register(const boost::json::object& body);
LoginInput parse_login(const boost::json::object& body);
std::string parse_refresh_token(const boost::json::object& body);
ProfileChange parse_profile_change(const boost::json::object& body);
PasswordChange parse_password_change(const boost::json::object& body);

}  // namespace karma::auth
