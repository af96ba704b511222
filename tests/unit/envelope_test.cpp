#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "core/app_error.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "db/database.hpp"
#include "http/request.hpp"

namespace karma {
namespace {

namespace bj = boost::json;

TEST(Envelope, SuccessWrapsDataWithTimestamp) {
  const auto before = now_ms();
  const bj::value v = bj::parse(json::success_envelope(bj::object{{"x", 1}}));
  EXPECT_EQ(v.at("success"), true);
  EXPECT_EQ(v.at("data").at("x"), 1);
  EXPECT_GE(v.at("timestamp").as_int64(), before);
  EXPECT_LE(v.at("timestamp").as_int64(), now_ms());
}

TEST(Envelope, NullDataIsKept) {
  const bj::value v = bj::parse(http::Response::ok(nullptr).body);
  ASSERT_TRUE(v.as_object().contains("data"));
  EXPECT_TRUE(v.at("data").is_null());
}

TEST(Envelope, ErrorCarriesCodeMessageAndDetails) {
  const auto response =
      http::Response::error(AppError(ErrorCode::validation, "bad", bj::object{{"field", "model"}}));
  EXPECT_EQ(response.status, 400);
  const bj::value v = bj::parse(response.body);
  EXPECT_EQ(v.at("success"), false);
  EXPECT_EQ(v.at("error").at("code"), "VALIDATION_ERROR");
  EXPECT_EQ(v.at("error").at("message"), "bad");
  EXPECT_EQ(v.at("error").at("details").at("field"), "model");
}

TEST(Envelope, ErrorWithoutDetailsOmitsThem) {
  const bj::value v = bj::parse(http::Response::error(AppError::not_found("Device")).body);
  EXPECT_FALSE(v.at("error").as_object().contains("details"));
  EXPECT_EQ(v.at("error").at("message"), "Device not found");
}

TEST(Envelope, EveryCodeHasItsStatus) {
  const std::pair<ErrorCode, std::pair<int, const char*>> table[] = {
      {ErrorCode::validation, {400, "VALIDATION_ERROR"}},
      {ErrorCode::unauthorized, {401, "UNAUTHORIZED"}},
      {ErrorCode::forbidden, {403, "FORBIDDEN"}},
      {ErrorCode::not_found, {404, "NOT_FOUND"}},
      {ErrorCode::method_not_allowed, {405, "METHOD_NOT_ALLOWED"}},
      {ErrorCode::conflict, {409, "CONFLICT"}},
      {ErrorCode::payload_too_large, {413, "PAYLOAD_TOO_LARGE"}},
      {ErrorCode::rate_limited, {429, "RATE_LIMIT_EXCEEDED"}},
      {ErrorCode::internal, {500, "INTERNAL_ERROR"}},
      {ErrorCode::unavailable, {503, "SERVICE_UNAVAILABLE"}},
      {ErrorCode::storage_unavailable, {503, "STORAGE_UNAVAILABLE"}},
  };
  for (const auto& [code, expected] : table) {
    EXPECT_EQ(http_status(code), expected.first);
    EXPECT_STREQ(code_name(code), expected.second);
  }
}

// Each factory writes its code's details one way, wherever it is thrown from.
TEST(Envelope, ErrorFactoriesWriteOneDetailsShapePerKind) {
  const auto envelope = [](const AppError& e) {
    return bj::parse(http::Response::error(e).body).at("error");
  };
  const bj::value invalid = envelope(AppError::invalid("path", "too long"));
  EXPECT_EQ(invalid.at("code"), "VALIDATION_ERROR");
  EXPECT_EQ(invalid.at("message"), "path: too long");
  EXPECT_EQ(invalid.at("details"), (bj::object{{"field", "path"}, {"message", "too long"}}));
  EXPECT_EQ(http::Response::error(AppError::invalid("a", "b")).status, 400);

  const bj::value conflict = envelope(AppError::conflict("Email taken", "email"));
  EXPECT_EQ(conflict.at("code"), "CONFLICT");
  EXPECT_EQ(conflict.at("details"), (bj::object{{"field", "email"}}));

  const AppError limit = AppError::plan_limit("Device limit reached", 3);
  EXPECT_EQ(http::Response::error(limit).status, 403);
  EXPECT_EQ(envelope(limit).at("details"), (bj::object{{"limit", 3}}));

  const AppError large = AppError::too_large("File exceeds 10 bytes", 10);
  EXPECT_EQ(http::Response::error(large).status, 413);
  EXPECT_EQ(envelope(large).at("details"), (bj::object{{"limit", 10}}));
}

TEST(Envelope, RateLimitSetsRetryAfterHeader) {
  const auto response =
      http::Response::error(AppError(ErrorCode::rate_limited, "slow down").with_retry_after(42));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.header("Retry-After"), "42");
}

TEST(JsonSerialize, EscapesStringsAndRoundTrips) {
  const std::string tricky =
      std::string("quote\" back\\ nl\n tab\t bell\x07 nul") + '\0' + " 数据 \xF0\x9F\x98\x80";
  const bj::value v = bj::object{{"k\"ey", tricky}, {"arr", bj::array{1, -2, true, nullptr}}};
  const std::string text = json::serialize(v);
  EXPECT_EQ(bj::parse(text), v);
  EXPECT_NE(text.find("\\u0007"), std::string::npos);
  EXPECT_NE(text.find("\\u0000"), std::string::npos);
  EXPECT_NE(text.find("数据"), std::string::npos) << "UTF-8 passes through unescaped";
}

TEST(JsonSerialize, EscapesEveryByteAtEveryPositionOfAWord) {
  // The escaper checks 8 bytes at a time: each special byte at each offset, in runs of every
  // length, with bytes just around the special ones nearby (0x20, '!'/'#', '['/']', 0x7f) and
  // UTF-8 after it.
  const std::string specials = std::string("\"\\\x1f\x01\n", 5) + '\0';
  for (char special : specials) {
    for (std::size_t length = 1; length <= 20; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'a');
        text[at] = special;
        if (length > 3) text[(at + 2) % length] = " !#[]\x7f"[at % 6];
        text += "\xC3\xA9";
        std::string out;
        json::append_quoted(out, text);
        EXPECT_EQ(bj::parse(out).as_string(), text) << out;
      }
    }
  }
  std::string plain;
  json::append_quoted(plain, "0123456789abcdef !#[]~");
  EXPECT_EQ(plain, "\"0123456789abcdef !#[]~\"");
}

TEST(JsonSerialize, WritesNumbersInShortestForm) {
  EXPECT_EQ(json::serialize(bj::array{12.5, 8.0, 0.1, -3, 1e21, 1795623963111}),
            "[12.5,8,0.1,-3,1e+21,1795623963111]");
  EXPECT_EQ(json::serialize(bj::value(std::nan(""))), "null");
}

// Whatever bytes a response echoes, it is strict JSON: malformed UTF-8 becomes U+FFFD, numbers
// that are not finite null. The error envelope once went through boost::json::serialize (found
// by ADL for an object) and echoed raw bytes.
TEST(JsonSerialize, OutputIsStrictJsonWhateverTheInput) {
  const std::vector<std::string> malformed = {"\xff",          "\xc0\xaf",         "\xc1\x26",
                                              "\xed\xa0\x80",  "\xf4\x90\x80\x80", "\xe2\x82",
                                              "ok\xf0\x9f\x98"};
  for (const auto& bytes : malformed) {
    const std::string field = "q" + bytes + "26.00/api/devices";
    const AppError error(ErrorCode::validation, field + ": bad",
                         bj::object{{"field", field}, {"received", std::nan("")}, {"n", INFINITY}});
    const std::string envelope = json::error_envelope(error);
    boost::system::error_code ec;
    const bj::value parsed = bj::parse(envelope, ec);
    ASSERT_FALSE(ec) << envelope;
    EXPECT_NE(envelope.find("\\ufffd"), std::string::npos) << envelope;
    EXPECT_TRUE(parsed.at("error").at("details").at("n").is_null());
    EXPECT_EQ(json::serialize(bj::object{{"k", field}}).find(bytes), std::string::npos);
    EXPECT_EQ(json::serialize(bj::array{field}).find(bytes), std::string::npos);
  }
  // Well-formed text of every length passes unchanged.
  const std::string fine = "é漢😀 \xc2\x80 \xdf\xbf \xef\xbf\xbf \xf4\x8f\xbf\xbf";
  std::string out;
  json::append_quoted(out, fine);
  EXPECT_EQ(bj::parse(out).as_string(), fine);
}

TEST(JsonBody, RefusesNulAndNonFiniteNumbersNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"a":"x\u0000"})", "a"},     {R"({"a":{"b":[1,{"c":"\u0000"}]}})", "a.b[1].c"},
      {R"({"a":{"k\u0000":1}})", "a"}, {R"({"k\u0000":1})", "body"},
      {R"({"n":1e309})", "n"},         {R"({"list":[[-1e400]]})", "list[0][0]"},
  };
  for (const auto& [body, field] : cases) {
    try {
      json::parse_object(body);
      FAIL() << "accepted " << body;
    } catch (const AppError& e) {
      EXPECT_EQ(e.details().at("field"), field.c_str()) << body;
    }
  }
}

// One translation of database failures for every path that answers a client.
TEST(Envelope, DatabaseFailuresMapToTheContract) {
  using db::DbError;
  EXPECT_EQ(db::app_error_of(DbError(DbError::Kind::unique_violation, "duplicate key")).code(),
            ErrorCode::conflict);
  EXPECT_EQ(db::app_error_of(DbError(DbError::Kind::unavailable, "connection lost")).code(),
            ErrorCode::unavailable);
  const AppError other = db::app_error_of(DbError(DbError::Kind::other, "syntax error at \"x\""));
  EXPECT_EQ(other.code(), ErrorCode::internal);
  EXPECT_STREQ(other.what(), "Internal server error") << "no SQL text reaches the client";
}

TEST(JsonBody, RejectsWhatIsNotAnObject) {
  for (const char* body : {"", "[]", "42", "\"x\"", "{", "{\"a\":}", "nul"}) {
    try {
      json::parse_object(body);
      FAIL() << "accepted " << body;
    } catch (const AppError& e) {
      EXPECT_EQ(e.code(), ErrorCode::validation) << body;
    }
  }
  EXPECT_EQ(json::parse_object(R"({"a":1,"unknown":{"deep":[1,2]}})").at("a"), 1);
}

TEST(JsonBody, RejectsAbsurdNesting) {
  std::string deep(1000, '[');
  deep = "{\"a\":" + deep + std::string(1000, ']') + "}";
  EXPECT_THROW(json::parse_object(deep), AppError);
}

}  // namespace
}  // namespace karma
