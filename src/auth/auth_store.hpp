#pragma once
// SQL for users and refresh tokens. Every call takes the connection it runs on, so the service
// decides what shares a transaction.
#include <optional>
#include <string>

#include <vector>

#include "auth/user_directory.hpp"
#include "core/clock.hpp"
#include "db/database.hpp"

namespace karma::auth {

struct UserRecord {
  std::string id;
  std::string email;  // lowercase
  std::string name;
  std::optional<std::string> avatar;
  std::string role = "user";
  bool email_verified = false;
  std::string password_hash;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

struct RefreshTokenRecord {
  std::string id;
  std::string user_id;
  std::string family_id;
  std::string token_hash;  // SHA-256 hex of the token; the token itself is never stored
  EpochMs expires_at = 0;
  std::optional<EpochMs> revoked_at;
};

class AuthStore {
 public:
  std::optional<UserRecord> find_user_by_id(db::Connection& c, const std::string& id);
  std::optional<UserRecord> find_user_by_email(db::Connection& c, const std::string& email);
  std::vector<UserProfile> profiles(db::Connection& c, const std::vector<std::string>& ids);
  // Throws db::DbError (unique_violation) when the email is taken.
  void insert_user(db::Connection& c, const UserRecord& user);
  void update_profile(db::Connection& c, const std::string& id, const std::string& name,
                      const std::optional<std::string>& avatar, EpochMs now);
  void update_password_hash(db::Connection& c, const std::string& id, const std::string& hash,
                            EpochMs now);

  void insert_refresh_token(db::Connection& c, const RefreshTokenRecord& token, EpochMs now);
  std::optional<RefreshTokenRecord> find_refresh_token(db::Connection& c,
                                                       const std::string& token_hash);
  // Marks an unspent token spent; false when it was spent already (a concurrent refresh).
  bool spend_refresh_token(db::Connection& c, const std::string& id, const std::string& replaced_by,
                           EpochMs now);
  void revoke_family(db::Connection& c, const std::string& family_id, EpochMs now);
  void revoke_user_tokens(db::Connection& c, const std::string& user_id, EpochMs now);
  // Revokes the caller's own unspent token; false when there was none.
  bool revoke_token(db::Connection& c, const std::string& user_id, const std::string& token_hash,
                    EpochMs now);
};

}  // namespace karma::auth
