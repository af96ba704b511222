#include "auth/auth_service.hpp"

#include <boost/json/object.hpp>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/validation.hpp"

namespace karma::auth {
namespace {

constexpr const char* kBadCredentials = "Invalid email or password";

AppError throttled(int seconds) {
  return AppError(ErrorCode::rate_limited, "Too many failed login attempts; try again later",
                  boost::json::object{{"retryAfter", seconds}})
      .with_retry_after(seconds);
}

}  // namespace

std::string normalize_email(std::string_view email) {
  return ascii_lower(email);
}

AuthService::AuthService(db::Database& db, realtime::EventBus& bus, AuthSettings settings,
                         RateLimiter& limiter, PasswordHasher& hasher)
    : db_(db),
      bus_(bus),
      settings_(std::move(settings)),
      limiter_(limiter),
      hasher_(hasher),
      jwt_(settings_.secret_key),
      recent_users_(std::chrono::milliseconds(settings_.user_cache_ms)) {}

std::optional<std::string> RecentUsers::role_of(const std::string& user_id) {
  if (ttl_.count() <= 0) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(user_id);
  if (it == entries_.end() || it->second.expires <= std::chrono::steady_clock::now())
    return std::nullopt;
  return it->second.role;
}

void RecentUsers::remember(const std::string& user_id, const std::string& role) {
  if (ttl_.count() <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries)
    std::erase_if(entries_, [now](const auto& e) { return e.second.expires <= now; });
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_.insert_or_assign(user_id, Entry{role, now + ttl_});
}

AuthSession AuthService::issue_session(db::Connection& c, UserRecord user,
                                       const std::string& family_id) {
  const EpochMs now = now_ms();
  const std::int64_t now_s = now / 1000;
  AuthSession session;
  session.expires_in = settings_.access_token_minutes * 60;
  session.access_token =
      jwt_.sign(AccessClaims{user.id, crypto::uuid_v4(), now_s, now_s + session.expires_in});
  session.refresh_token = crypto::random_token(32);
  store_.insert_refresh_token(
      c,
      RefreshTokenRecord{crypto::uuid_v4(), user.id, family_id,
                         crypto::sha256_hex(session.refresh_token),
                         now + EpochMs(settings_.refresh_token_days) * 86'400'000, std::nullopt},
      now);
  session.user = std::move(user);
  return session;
}

UserRecord AuthService::require_user(db::Connection& c, const std::string& id) {
  auto user = store_.find_user_by_id(c, id);
  if (!user) throw AppError::unauthorized("User no longer exists");
  return *user;
}

AuthSession AuthService::register_user(const RegisterInput& input, const std::string& role) {
  UserRecord user;
  user.id = crypto::uuid_v4();
  user.email = normalize_email(input.email);
  user.name = input.name;
  user.role = role;
  user.created_at = user.updated_at = now_ms();
  // Hash before taking a connection: it is the slow part.
  user.password_hash = hasher_.hash(input.password);
  try {
    return db_.transaction([&](db::Connection& c) {
      store_.insert_user(c, user);
      return issue_session(c, user, crypto::uuid_v4());
    });
  } catch (const db::DbError& e) {
    if (e.kind() == db::DbError::Kind::unique_violation)
      throw AppError::conflict("An account with this email already exists", "email");
    throw;
  }
}

AuthSession AuthService::login(const LoginInput& input, const std::string& client_ip) {
  const std::string email = normalize_email(input.email);
  const std::string account_key = "login:account:" + email;
  const std::string ip_key = "login:ip:" + client_ip;
  const int window = settings_.login_window_seconds;
  if (int wait = limiter_.blocked_for(account_key, settings_.login_max_failures, window))
    throw throttled(wait);
  if (int wait = limiter_.blocked_for(ip_key, settings_.login_ip_max_failures, window))
    throw throttled(wait);

  std::optional<UserRecord> user;
  {
    auto c = db_.acquire();
    user = store_.find_user_by_email(*c, email);
  }
  bool valid = false;
  if (user) {
    valid = hasher_.verify(user->password_hash, input.password);
  } else {
    hasher_.verify_nothing(input.password);
  }
  if (!valid) {
    limiter_.hit(account_key, window);
    limiter_.hit(ip_key, window);
    throw AppError::unauthorized(kBadCredentials);
  }
  limiter_.reset(account_key);
  return db_.transaction(
      [&](db::Connection& c) { return issue_session(c, *user, crypto::uuid_v4()); });
}

AuthSession AuthService::refresh(const std::string& refresh_token) {
  enum class Outcome { ok, unknown, reused, expired };
  Outcome outcome = Outcome::ok;
  const EpochMs now = now_ms();
  auto session = db_.transaction([&](db::Connection& c) -> std::optional<AuthSession> {
    auto token = store_.find_refresh_token(c, crypto::sha256_hex(refresh_token));
    if (!token) {
      outcome = Outcome::unknown;
      return std::nullopt;
    }
    if (token->revoked_at) {
      // A spent token came back: someone holds a copy. End the whole chain of sessions.
      store_.revoke_family(c, token->family_id, now);
      outcome = Outcome::reused;
      return std::nullopt;
    }
    if (token->expires_at <= now) {
      outcome = Outcome::expired;
      return std::nullopt;
    }
    const std::string successor = crypto::uuid_v4();
    if (!store_.spend_refresh_token(c, token->id, successor, now)) {
      store_.revoke_family(c, token->family_id, now);
      outcome = Outcome::reused;
      return std::nullopt;
    }
    UserRecord user = require_user(c, token->user_id);
    AuthSession next = issue_session(c, std::move(user), token->family_id);
    return next;
  });
  switch (outcome) {
    case Outcome::ok:
      return std::move(*session);
    case Outcome::unknown:
      throw AppError::unauthorized("Invalid refresh token");
    case Outcome::reused:
      throw AppError::unauthorized(
          "Refresh token was already used; all sessions of this login "
          "were revoked");
    case Outcome::expired:
      throw AppError::unauthorized("Refresh token expired");
  }
  throw AppError::unauthorized("Invalid refresh token");
}

void AuthService::logout(const Caller& caller, const std::string& refresh_token) {
  auto c = db_.acquire();
  // Idempotent: an unknown or already revoked token is not an error, and reveals nothing.
  store_.revoke_token(*c, caller.user_id, crypto::sha256_hex(refresh_token), now_ms());
}

std::optional<std::string> AuthService::id_of_email(db::Connection& c, std::string_view email) {
  const auto user = store_.find_user_by_email(c, normalize_email(email));
  if (!user) return std::nullopt;
  return user->id;
}

UserRecord AuthService::me(const Caller& caller) {
  auto c = db_.acquire();
  return require_user(*c, caller.user_id);
}

UserRecord AuthService::update_profile(const Caller& caller, const ProfileChange& change) {
  return db_.transaction([&](db::Connection& c) {
    UserRecord user = require_user(c, caller.user_id);
    if (change.name) user.name = *change.name;
    if (change.avatar_given) user.avatar = change.avatar;
    user.updated_at = now_ms();
    store_.update_profile(c, user.id, user.name, user.avatar, user.updated_at);
    return user;
  });
}

void AuthService::change_password(const Caller& caller, const PasswordChange& change) {
  UserRecord user = me(caller);
  if (!hasher_.verify(user.password_hash, change.current_password)) {
    throw AppError::invalid("currentPassword", "is not the current password");
  }
  const std::string hash = hasher_.hash(change.new_password);
  db_.transaction([&](db::Connection& c) {
    const EpochMs now = now_ms();
    store_.update_password_hash(c, user.id, hash, now);
    store_.revoke_user_tokens(c, user.id, now);
  });
  // Live sessions end with the old password (API.md §8: close 4001).
  bus_.publish(realtime::topics::user(user.id),
               {std::string(realtime::kSessionRevoked), user.id, {{"reason", "password changed"}}});
}

Caller AuthService::authenticate(std::string_view bearer_token) {
  return verify(bearer_token).caller;
}

VerifiedToken AuthService::verify(std::string_view bearer_token) {
  if (bearer_token.empty()) throw AppError::unauthorized("Authentication required");
  JwtProblem problem;
  const auto claims = jwt_.verify(bearer_token, now_ms() / 1000, &problem);
  if (!claims || !crypto::is_uuid(claims->subject)) {
    throw AppError(ErrorCode::unauthorized, "Invalid or expired access token",
                   boost::json::object{{"reason", describe(problem)}});
  }
  const EpochMs expires_at = claims->expires_at * 1000;
  if (auto role = recent_users_.role_of(claims->subject))
    return {Caller{claims->subject, std::move(*role)}, expires_at};
  auto c = db_.acquire();
  const UserRecord user = require_user(*c, claims->subject);
  recent_users_.remember(user.id, user.role);
  return {Caller{user.id, user.role}, expires_at};
}

}  // namespace karma::auth
