#pragma once
// Accounts and sessions: registration, login with throttling, refresh-token rotation with reuse
// detection, profile and password changes, and the guard that turns a bearer token into a
// Caller for every authenticated route.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/auth_store.hpp"
#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "auth/user_directory.hpp"
#include "core/caller.hpp"
#include "core/clock.hpp"
#include "core/rate_limiter.hpp"
#include "db/database.hpp"
#include "realtime/event_bus.hpp"

namespace karma::auth {

struct AuthSettings {
  std::string secret_key;
  int access_token_minutes = 30;
  int refresh_token_days = 30;
  int login_max_failures = 5;      // per account within the window
  int login_ip_max_failures = 30;  // per client address within the window
  int login_window_seconds = 900;
  // How long the guard trusts that a token's user still exists with its role (0: ask the
  // database on every request).
  int user_cache_ms = 1000;
};

// Users the guard saw recently: spares the database one lookup per authenticated request.
// Bounded in size and age; a user deleted or changed out of band is noticed within the TTL.
class RecentUsers {
 public:
  explicit RecentUsers(std::chrono::milliseconds ttl) : ttl_(ttl) {}
  std::optional<std::string> role_of(const std::string& user_id);
  void remember(const std::string& user_id, const std::string& role);

 private:
  struct Entry {
    std::string role;
    std::chrono::steady_clock::time_point expires;
  };
  static constexpr std::size_t kMaxEntries = 100'000;
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// An access token's caller and when the token expires.
struct VerifiedToken {
  Caller caller;
  EpochMs expires_at = 0;
};

struct RegisterInput {
  std::string email;
  std::string password;
  std::string name;
};

struct LoginInput {
  std::string email;
  std::string password;
};

struct ProfileChange {
  std::optional<std::string> name;
  bool avatar_given = false;  // avatar: absent (keep), null (clear) or a string (set)
  std::optional<std::string> avatar;
};

struct PasswordChange {
  std::string current_password;
  std::string new_password;
};

struct AuthSession {
  UserRecord user;
  std::string access_token;
  std::string refresh_token;
  int expires_in = 0;  // seconds the access token lives
};

class AuthService final : public UserDirectory {
 public:
  // `bus` tells the user's realtime sessions when their credentials change (session_revoked).
  AuthService(db::Database& db, realtime::EventBus& bus, AuthSettings settings,
              RateLimiter& limiter, PasswordHasher& hasher);

  AuthSession register_user(const RegisterInput& input, const std::string& role = "user");
  AuthSession login(const LoginInput& input, const std::string& client_ip);
  AuthSession refresh(const std::string& refresh_token);
  void logout(const Caller& caller, const std::string& refresh_token);

  UserRecord me(const Caller& caller);
  UserRecord update_profile(const Caller& caller, const ProfileChange& change);
  void change_password(const Caller& caller, const PasswordChange& change);

  // The guard: a valid, unexpired access token of an existing user, or UNAUTHORIZED.
  Caller authenticate(std::string_view bearer_token);
  // The same, with the token's expiry (long-lived sessions end with it).
  VerifiedToken verify(std::string_view bearer_token);

  // UserDirectory, for the features that show users (project members, reviews).
  std::vector<UserProfile> profiles(db::Connection& c,
                                    const std::vector<std::string>& ids) override {
    return store_.profiles(c, ids);
  }
  std::optional<std::string> id_of_email(db::Connection& c, std::string_view email) override;

 private:
  AuthSession issue_session(db::Connection& c, UserRecord user, const std::string& family_id);
  UserRecord require_user(db::Connection& c, const std::string& id);

  db::Database& db_;
  realtime::EventBus& bus_;
  AuthSettings settings_;
  RateLimiter& limiter_;
  PasswordHasher& hasher_;
  JwtCodec jwt_;
  AuthStore store_;
  RecentUsers recent_users_;
};

// Lowercases ASCII letters: emails are unique case-insensitively.
std::string normalize_email(std::string_view email);

}  // namespace karma::auth
