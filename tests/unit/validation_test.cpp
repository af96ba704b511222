#include "core/validation.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/app_error.hpp"

namespace karma {
namespace {

namespace bj = boost::json;

bj::object details_of(const Violations& v) {
  try {
    v.throw_if_any();
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), ErrorCode::validation);
    return e.details().as_object();
  }
  ADD_FAILURE() << "no violation raised";
  return {};
}

TEST(Validation, StringsAreTrimmedAndLengthChecked) {
  Violations v;
  const auto body = bj::parse(R"({"name":"  Ann  ","long":"xxxxxxxxxxx","num":5})").as_object();
  JsonFields f(body, v);
  EXPECT_EQ(f.string("name", {1, 10}, true), "Ann");
  EXPECT_FALSE(f.string("long", {1, 10}, true));
  EXPECT_FALSE(f.string("num", {1, 10}, true));
  EXPECT_FALSE(f.string("missing", {1, 10}, true));
  EXPECT_FALSE(f.string("optional", {1, 10}, false));
  const auto d = details_of(v);
  ASSERT_TRUE(d.contains("fields"));
  const auto& fields = d.at("fields").as_array();
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].at("field"), "long");
  EXPECT_EQ(fields[1].at("field"), "num");
  EXPECT_EQ(fields[1].at("received"), "number");
  EXPECT_EQ(fields[2].at("field"), "missing");
}

TEST(Validation, LengthCountsCodePointsNotBytes) {
  Violations v;
  const auto body = bj::parse(R"({"name":"数据中心"})").as_object();
  JsonFields f(body, v);
  EXPECT_EQ(f.string("name", {1, 4}, true), "数据中心");
  EXPECT_TRUE(v.empty());
}

TEST(Validation, SingleViolationNamesItsField) {
  Violations v;
  const auto body = bj::parse(R"({"model":"EOS-4"})").as_object();
  JsonFields f(body, v);
  constexpr std::array<std::string_view, 3> kModels{"EOS-3A", "EOS-3B", "EOS-3C"};
  EXPECT_FALSE(f.one_of("model", kModels, true));
  const auto d = details_of(v);
  EXPECT_EQ(d.at("field"), "model");
  EXPECT_EQ(d.at("expected"), bj::parse(R"(["EOS-3A","EOS-3B","EOS-3C"])"));
  EXPECT_EQ(d.at("received"), "EOS-4");
}

TEST(Validation, IntegersAndBooleans) {
  Violations v;
  const auto body =
      bj::parse(R"({"a":5,"b":5.0,"c":5.5,"d":"5","e":true,"f":1,"g":101})").as_object();
  JsonFields f(body, v);
  EXPECT_EQ(f.integer("a", 0, 100, true), 5);
  EXPECT_EQ(f.integer("b", 0, 100, true), 5);
  EXPECT_FALSE(f.integer("c", 0, 100, true));
  EXPECT_FALSE(f.integer("d", 0, 100, true));
  EXPECT_EQ(f.boolean("e", true), true);
  EXPECT_FALSE(f.boolean("f", true));
  EXPECT_FALSE(f.integer("g", 0, 100, true));
  EXPECT_FALSE(v.empty());
}

TEST(Validation, NulAndOversizedInputAreNotEchoed) {
  Violations v;
  bj::object body{{"name", std::string("a\0b", 3)}, {"huge", std::string(100000, 'x')}};
  JsonFields f(body, v);
  EXPECT_FALSE(f.string("name", {1, 10}, true));
  EXPECT_FALSE(f.string("huge", {1, 10}, true));
  const auto d = details_of(v);
  EXPECT_LT(bj::serialize(d).size(), 1000u);
}

TEST(Validation, EmailShape) {
  for (const char* ok : {"a@b.co", "first.last+tag@example.org", "x@sub.domain.io"})
    EXPECT_TRUE(looks_like_email(ok)) << ok;
  for (const char* bad : {"", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.io", "a@b.", "a@.b",
                          "<a>@b.co", "a@b.co\n"})
    EXPECT_FALSE(looks_like_email(bad)) << bad;
}

TEST(Validation, ListsAndWholeIntegers) {
  EXPECT_EQ(split_list(" a, b,,c ,"), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_TRUE(split_list(" , ").empty());
  EXPECT_EQ(parse_int64("42"), 42);
  EXPECT_EQ(parse_int64("-7"), -7);
  for (const char* bad : {"", "1e3", "12x", " 1", "99999999999999999999"})
    EXPECT_FALSE(parse_int64(bad)) << bad;
}

}  // namespace
}  // namespace karma
