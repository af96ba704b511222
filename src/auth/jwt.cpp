#include "auth/jwt.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"
#include "core/json.hpp"

namespace karma::auth {

namespace bj = boost::json;

const char* describe(JwtProblem problem) {
  switch (problem) {
    case JwtProblem::none:
      return "valid";
    case JwtProblem::malformed:
      return "malformed token";
    case JwtProblem::wrong_algorithm:
      return "unsupported algorithm";
    case JwtProblem::unknown_key:
      return "unknown signing key";
    case JwtProblem::bad_signature:
      return "bad signature";
    case JwtProblem::wrong_issuer:
      return "wrong issuer";
    case JwtProblem::expired:
      return "token expired";
    case JwtProblem::not_yet_valid:
      return "token not yet valid";
  }
  return "invalid token";
}

JwtCodec::JwtCodec(std::string secret)
    : secret_(std::move(secret)), key_id_(crypto::sha256_hex("kid:" + secret_).substr(0, 16)) {}

std::string JwtCodec::sign(const AccessClaims& claims) const {
  const bj::object header{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", key_id_}};
  const bj::object payload{{"iss", kIssuer},
                           {"sub", claims.subject},
                           {"jti", claims.token_id},
                           {"iat", claims.issued_at},
                           {"exp", claims.expires_at}};
  std::string token = crypto::base64url_encode(json::serialize(header));
  token += '.';
  token += crypto::base64url_encode(json::serialize(payload));
  const std::string signature = crypto::hmac_sha256(secret_, token);
  token += '.';
  token += crypto::base64url_encode(signature);
  return token;
}

namespace {

std::optional<bj::object> decode_object(std::string_view part) {
  std::string text;
  if (!crypto::base64url_decode(part, text)) return std::nullopt;
  boost::system::error_code ec;
  bj::value value = bj::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

const bj::string* string_claim(const bj::object& o, std::string_view name) {
  const bj::value* v = o.if_contains(name);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

std::optional<std::int64_t> int_claim(const bj::object& o, std::string_view name) {
  const bj::value* v = o.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() < (1ull << 62))
    return static_cast<std::int64_t>(v->as_uint64());
  return std::nullopt;
}

}  // namespace

std::optional<AccessClaims> JwtCodec::verify(std::string_view token, std::int64_t now,
                                             JwtProblem* problem) const {
  JwtProblem local;
  JwtProblem& why = problem ? *problem : local;
  why = JwtProblem::malformed;
  if (token.size() > 4096) return std::nullopt;
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  const auto header = decode_object(token.substr(0, first));
  if (!header) return std::nullopt;
  const bj::string* alg = string_claim(*header, "alg");
  if (!alg || *alg != "HS256") {
    why = JwtProblem::wrong_algorithm;
    return std::nullopt;
  }
  const bj::string* kid = string_claim(*header, "kid");
  if (!kid || *kid != key_id_) {
    why = JwtProblem::unknown_key;
    return std::nullopt;
  }
  std::string signature;
  if (!crypto::base64url_decode(token.substr(second + 1), signature)) return std::nullopt;
  const std::string expected = crypto::hmac_sha256(secret_, token.substr(0, second));
  if (!crypto::constant_time_equal(signature, expected)) {
    why = JwtProblem::bad_signature;
    return std::nullopt;
  }
  const auto payload = decode_object(token.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  const bj::string* iss = string_claim(*payload, "iss");
  if (!iss || *iss != kIssuer) {
    why = JwtProblem::wrong_issuer;
    return std::nullopt;
  }
  const bj::string* sub = string_claim(*payload, "sub");
  const bj::string* jti = string_claim(*payload, "jti");
  const auto iat = int_claim(*payload, "iat");
  const auto exp = int_claim(*payload, "exp");
  // Subjects are user ids in their one canonical spelling: an upper-case id would match on
  // PostgreSQL's uuid column and not on SQLite's text one.
  if (!sub || !jti || !iat || !exp || !crypto::is_uuid(*sub)) return std::nullopt;
  if (now >= *exp) {
    why = JwtProblem::expired;
    return std::nullopt;
  }
  if (*iat > now + kClockSkewSeconds) {
    why = JwtProblem::not_yet_valid;
    return std::nullopt;
  }
  why = JwtProblem::none;
  return AccessClaims{std::string(*sub), std::string(*jti), *iat, *exp};
}

}  // namespace karma::auth
