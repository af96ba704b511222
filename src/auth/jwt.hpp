#pragma once
// HS256 access tokens (OpenSSL HMAC). Verification checks everything libjwt would not: the
// algorithm, key id, issuer, expiry and the presence of every claim.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace karma::auth {

struct AccessClaims {
  std::string subject;          // user id
  std::string token_id;         // jti
  std::int64_t issued_at = 0;   // seconds since epoch
  std::int64_t expires_at = 0;  // seconds since epoch
};

enum class JwtProblem {
  none,
  malformed,
  wrong_algorithm,
  unknown_key,
  bad_signature,
  wrong_issuer,
  expired,
  not_yet_valid
};

const char* describe(JwtProblem problem);

class JwtCodec {
 public:
  explicit JwtCodec(std::string secret);
  const std::string& key_id() const { return key_id_; }
  std::string sign(const AccessClaims& claims) const;
  // The claims of a valid token at time `now_seconds`, or the reason it is not valid.
  std::optional<AccessClaims> verify(std::string_view token, std::int64_t now_seconds,
                                     JwtProblem* problem = nullptr) const;

 private:
  std::string secret_;
  std::string key_id_;
};

inline constexpr const char* kIssuer = "karma";
// Tokens issued slightly in the future (clock skew between instances) are still accepted.
inline constexpr std::int64_t kClockSkewSeconds = 30;

}  // namespace karma::auth
