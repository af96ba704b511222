#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include "core/crypto.hpp"

namespace karma::auth {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

AccessClaims claims(std::int64_t iat = kNow, std::int64_t exp = kNow + 1800) {
  return AccessClaims{"8a6e0804-2bd0-4672-b79d-d97027f9071a", "jti-1", iat, exp};
}

// Re-signs header.payload with `secret`, as a forger holding that secret would.
std::string forge(const std::string& header_json, const std::string& payload_json,
                  const std::string& secret) {
  std::string token =
      crypto::base64url_encode(header_json) + "." + crypto::base64url_encode(payload_json);
  return token + "." + crypto::base64url_encode(crypto::hmac_sha256(secret, token));
}

TEST(Jwt, RoundTripsClaims) {
  JwtCodec codec("secret-a");
  const auto token = codec.sign(claims());
  JwtProblem problem;
  const auto verified = codec.verify(token, kNow + 10, &problem);
  ASSERT_TRUE(verified) << describe(problem);
  EXPECT_EQ(verified->subject, claims().subject);
  EXPECT_EQ(verified->token_id, "jti-1");
  EXPECT_EQ(verified->issued_at, kNow);
  EXPECT_EQ(verified->expires_at, kNow + 1800);
}

TEST(Jwt, HeaderNamesAlgorithmAndKeyId) {
  JwtCodec codec("secret-a");
  const auto token = codec.sign(claims());
  std::string header;
  ASSERT_TRUE(crypto::base64url_decode(token.substr(0, token.find('.')), header));
  EXPECT_NE(header.find("\"alg\":\"HS256\""), std::string::npos);
  EXPECT_NE(header.find("\"kid\":\"" + codec.key_id() + "\""), std::string::npos);
  EXPECT_NE(JwtCodec("secret-b").key_id(), codec.key_id());
}

TEST(Jwt, RejectsExpiredTokens) {
  JwtCodec codec("secret-a");
  JwtProblem problem;
  EXPECT_FALSE(codec.verify(codec.sign(claims(kNow - 100, kNow)), kNow, &problem));
  EXPECT_EQ(problem, JwtProblem::expired);
}

TEST(Jwt, RejectsTokensIssuedInTheFuture) {
  JwtCodec codec("secret-a");
  JwtProblem problem;
  EXPECT_FALSE(codec.verify(codec.sign(claims(kNow + 3600, kNow + 7200)), kNow, &problem));
  EXPECT_EQ(problem, JwtProblem::not_yet_valid);
}

TEST(Jwt, RejectsOtherSecrets) {
  JwtCodec mine("secret-a");
  JwtCodec theirs("secret-b");
  JwtProblem problem;
  EXPECT_FALSE(mine.verify(theirs.sign(claims()), kNow, &problem));
  EXPECT_EQ(problem, JwtProblem::unknown_key);
}

TEST(Jwt, RejectsForgedSignatureUnderOurKeyId) {
  JwtCodec codec("secret-a");
  const std::string header = R"({"alg":"HS256","typ":"JWT","kid":")" + codec.key_id() + "\"}";
  const std::string payload =
      R"({"iss":"karma","sub":"8a6e0804-2bd0-4672-b79d-d97027f9071a","jti":"x","iat":1800000000,"exp":1800001800})";
  JwtProblem problem;
  EXPECT_FALSE(codec.verify(forge(header, payload, "guess"), kNow, &problem));
  EXPECT_EQ(problem, JwtProblem::bad_signature);
  EXPECT_TRUE(codec.verify(forge(header, payload, "secret-a"), kNow));
}

TEST(Jwt, RejectsAlgNone) {
  JwtCodec codec("secret-a");
  const std::string payload =
      R"({"iss":"karma","sub":"8a6e0804-2bd0-4672-b79d-d97027f9071a","jti":"x","iat":1800000000,"exp":1800001800})";
  const std::string token = crypto::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                            crypto::base64url_encode(payload) + ".";
  JwtProblem problem;
  EXPECT_FALSE(codec.verify(token, kNow, &problem));
  EXPECT_EQ(problem, JwtProblem::wrong_algorithm);
}

TEST(Jwt, RejectsTamperedPayload) {
  JwtCodec codec("secret-a");
  auto token = codec.sign(claims());
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  const std::string other_payload = crypto::base64url_encode(
      R"({"iss":"karma","sub":"00000000-0000-4000-8000-000000000000","jti":"x","iat":1800000000,"exp":1900000000})");
  token = token.substr(0, first + 1) + other_payload + token.substr(second);
  JwtProblem problem;
  EXPECT_FALSE(codec.verify(token, kNow, &problem));
  EXPECT_EQ(problem, JwtProblem::bad_signature);
}

TEST(Jwt, RejectsMissingClaimsAndWrongIssuer) {
  JwtCodec codec("secret-a");
  const std::string header = R"({"alg":"HS256","typ":"JWT","kid":")" + codec.key_id() + "\"}";
  JwtProblem problem;
  EXPECT_FALSE(codec.verify(
      forge(header, R"({"iss":"karma","sub":"u","jti":"x","iat":1800000000})", "secret-a"), kNow,
      &problem));
  EXPECT_EQ(problem, JwtProblem::malformed);
  EXPECT_FALSE(codec.verify(
      forge(header, R"({"iss":"evil","sub":"u","jti":"x","iat":1800000000,"exp":1900000000})",
            "secret-a"),
      kNow, &problem));
  EXPECT_EQ(problem, JwtProblem::wrong_issuer);
}

TEST(Jwt, RejectsNonCanonicalEncodingsAndSubjects) {
  JwtCodec codec("secret-a");
  const std::string header = R"({"alg":"HS256","typ":"JWT","kid":")" + codec.key_id() + "\"}";
  const std::string good = forge(
      header,
      R"({"iss":"karma","sub":"8a6e0804-2bd0-4672-b79d-d97027f9071a","jti":"x","iat":1800000000,"exp":1800001800})",
      "secret-a");
  ASSERT_TRUE(codec.verify(good, kNow));
  // The signature is 32 bytes: 43 characters whose last carries 2 bits that must be zero.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string other_bits = good;
  other_bits.back() = alphabet[alphabet.find(good.back()) ^ 1];
  EXPECT_FALSE(codec.verify(other_bits, kNow)) << "same signature bytes, other trailing bits";
  EXPECT_FALSE(codec.verify(good + "=", kNow)) << "padding";
  JwtProblem problem;
  EXPECT_FALSE(codec.verify(
      forge(
          header,
          R"({"iss":"karma","sub":"8A6E0804-2BD0-4672-B79D-D97027F9071A","jti":"x","iat":1800000000,"exp":1800001800})",
          "secret-a"),
      kNow, &problem));
  EXPECT_EQ(problem, JwtProblem::malformed);
}

TEST(Jwt, RejectsGarbage) {
  JwtCodec codec("secret-a");
  for (const char* token : {"", "abc", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.", ".."}) {
    EXPECT_FALSE(codec.verify(token, kNow)) << token;
  }
  EXPECT_FALSE(codec.verify(std::string(10000, 'a'), kNow));
}

}  // namespace
}  // namespace karma::auth
