#include "auth/auth_store.hpp"

#include "db/sql.hpp"

namespace karma::auth {

using db::Timestamp;

namespace {

constexpr const char* kUserColumns =
    "SELECT id, email, name, avatar, role, email_verified, password_hash, created_at, updated_at "
    "FROM users ";

UserRecord user_from(const db::Row& r) {
  return UserRecord{r.text(0),    r.text(1), r.text(2), r.opt_text(3), r.text(4),
                    r.boolean(5), r.text(6), r.time(7), r.time(8)};
}

std::optional<UserRecord> first_user(const db::Result& result) {
  if (result.empty()) return std::nullopt;
  return user_from(result.first());
}

}  // namespace

std::optional<UserRecord> AuthStore::find_user_by_id(db::Connection& c, const std::string& id) {
  return first_user(c.query(std::string(kUserColumns) + "WHERE id = $1", {id}));
}

std::optional<UserRecord> AuthStore::find_user_by_email(db::Connection& c,
                                                        const std::string& email) {
  return first_user(c.query(std::string(kUserColumns) + "WHERE email = $1", {email}));
}

std::vector<UserProfile> AuthStore::profiles(db::Connection& c,
                                             const std::vector<std::string>& ids) {
  std::vector<UserProfile> out;
  if (ids.empty()) return out;
  const auto rows =
      c.query("SELECT id, name, avatar FROM users WHERE " + db::id_in(c.dialect(), "id", 1),
              {db::id_list(c.dialect(), ids)});
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows) out.push_back({row.text(0), row.text(1), row.opt_text(2)});
  return out;
}

void AuthStore::insert_user(db::Connection& c, const UserRecord& u) {
  c.query(
      "INSERT INTO users (id, email, name, avatar, role, email_verified, password_hash, "
      "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {u.id, u.email, u.name, u.avatar ? db::Value(*u.avatar) : db::Value(nullptr), u.role,
       u.email_verified, u.password_hash, Timestamp{u.created_at}, Timestamp{u.updated_at}});
}

void AuthStore::update_profile(db::Connection& c, const std::string& id, const std::string& name,
                               const std::optional<std::string>& avatar, EpochMs now) {
  c.query("UPDATE users SET name = $1, avatar = $2, updated_at = $3 WHERE id = $4",
          {name, avatar ? db::Value(*avatar) : db::Value(nullptr), Timestamp{now}, id});
}

void AuthStore::update_password_hash(db::Connection& c, const std::string& id,
                                     const std::string& hash, EpochMs now) {
  c.query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
          {hash, Timestamp{now}, id});
}

void AuthStore::insert_refresh_token(db::Connection& c, const RefreshTokenRecord& t, EpochMs now) {
  c.query(
      "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {t.id, t.user_id, t.family_id, t.token_hash, Timestamp{t.expires_at}, Timestamp{now}});
}

std::optional<RefreshTokenRecord> AuthStore::find_refresh_token(db::Connection& c,
                                                                const std::string& token_hash) {
  const auto result = c.query(
      "SELECT id, user_id, family_id, token_hash, expires_at, revoked_at FROM refresh_tokens "
      "WHERE token_hash = $1",
      {token_hash});
  if (result.empty()) return std::nullopt;
  const auto& r = result.first();
  return RefreshTokenRecord{r.text(0), r.text(1), r.text(2), r.text(3), r.time(4), r.opt_time(5)};
}

bool AuthStore::spend_refresh_token(db::Connection& c, const std::string& id,
                                    const std::string& replaced_by, EpochMs now) {
  return c.query(
              "UPDATE refresh_tokens SET revoked_at = $1, replaced_by = $2 "
              "WHERE id = $3 AND revoked_at IS NULL",
              {Timestamp{now}, replaced_by, id})
             .affected == 1;
}

void AuthStore::revoke_family(db::Connection& c, const std::string& family_id, EpochMs now) {
  c.query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
          {Timestamp{now}, family_id});
}

void AuthStore::revoke_user_tokens(db::Connection& c, const std::string& user_id, EpochMs now) {
  c.query("UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
          {Timestamp{now}, user_id});
}

bool AuthStore::revoke_token(db::Connection& c, const std::string& user_id,
                             const std::string& token_hash, EpochMs now) {
  return c.query(
              "UPDATE refresh_tokens SET revoked_at = $1 "
              "WHERE token_hash = $2 AND user_id = $3 AND revoked_at IS NULL",
              {Timestamp{now}, token_hash, user_id})
             .affected == 1;
}

}  // namespace karma::auth
