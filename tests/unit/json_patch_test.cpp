#include "agent/protocol/json_patch.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace karma::agent {
namespace {

namespace bj = boost::json;

bj::value apply(std::string_view doc, std::string_view patch) {
  return apply_patch(bj::parse(doc), bj::parse(patch).as_array());
}

TEST(JsonPatch, AppliesEveryOperationAsRfc6902Spells) {
  EXPECT_EQ(apply(R"({"a":1})", R"([{"op":"add","path":"/b","value":2}])"),
            bj::parse(R"({"a":1,"b":2})"));
  EXPECT_EQ(apply(R"({"a":[1,3]})", R"([{"op":"add","path":"/a/1","value":2}])"),
            bj::parse(R"({"a":[1,2,3]})"));
  EXPECT_EQ(apply(R"({"a":[1]})", R"([{"op":"add","path":"/a/-","value":2}])"),
            bj::parse(R"({"a":[1,2]})"));
  EXPECT_EQ(apply(R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"}])"), bj::parse(R"({"b":2})"));
  EXPECT_EQ(apply(R"({"a":{"b":1}})", R"([{"op":"replace","path":"/a/b","value":[]}])"),
            bj::parse(R"({"a":{"b":[]}})"));
  EXPECT_EQ(apply(R"({"a":{"b":1},"c":{}})", R"([{"op":"move","from":"/a/b","path":"/c/d"}])"),
            bj::parse(R"({"a":{},"c":{"d":1}})"));
  EXPECT_EQ(apply(R"({"a":[1]})", R"([{"op":"copy","from":"/a","path":"/b"}])"),
            bj::parse(R"({"a":[1],"b":[1]})"));
  EXPECT_EQ(apply(R"({"a/b":1,"m~n":2})",
                  R"([{"op":"test","path":"/a~1b","value":1.0},{"op":"remove","path":"/m~0n"}])"),
            bj::parse(R"({"a/b":1})"));
  EXPECT_EQ(apply(R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])"), bj::parse("[1]"));
}

TEST(JsonPatch, RefusesWhatDoesNotResolveAndLeavesTheDocumentAlone) {
  const bj::value doc = bj::parse(R"({"a":[1,2],"b":{"c":1}})");
  for (const char* patch : {
           R"([{"op":"remove","path":"/x"}])",
           R"([{"op":"add","path":"/a/3","value":1}])",
           R"([{"op":"add","path":"/a/01","value":1}])",
           R"([{"op":"replace","path":"/b/x","value":1}])",
           R"([{"op":"add","path":"a","value":1}])",
           R"([{"op":"add","path":"/~2","value":1}])",
           R"([{"op":"test","path":"/b/c","value":2}])",
           R"([{"op":"move","from":"/b","path":"/b/c/d"}])",
           R"([{"op":"remove","path":""}])",
           R"([{"op":"jump","path":"/a"}])",
           R"([{"op":"add","path":"/q"}])",
           R"([{"path":"/a"}])",
           R"([1])",
           R"([{"op":"add","path":"/b/c","value":1},{"op":"remove","path":"/nope"}])",
       }) {
    SCOPED_TRACE(patch);
    EXPECT_THROW(apply_patch(doc, bj::parse(patch).as_array()), PatchError);
  }
  EXPECT_EQ(doc, bj::parse(R"({"a":[1,2],"b":{"c":1}})"));
}

TEST(JsonPatch, DiffReplaysOverTheDocumentItCameFrom) {
  const bj::value from = bj::parse(
      R"({"user":{"id":"u","name":"A"},"devices":[{"id":1,"status":"online"}],"gone":true,"a/b":1})");
  const bj::value to = bj::parse(
      R"({"user":{"id":"u","name":"B"},"devices":[{"id":1,"status":"offline"}],"new":{"x":[]},"a/b":2})");
  const bj::array patch = diff(from, to);
  EXPECT_EQ(apply_patch(from, patch), to);
  EXPECT_TRUE(diff(to, to).empty());
  EXPECT_TRUE(diff(bj::parse("{\"n\":1}"), bj::parse("{\"n\":1.0}")).empty());
  // Members change by member; arrays and scalars are replaced whole.
  for (const auto& op : patch) EXPECT_NE(op.at("path"), "");
}

}  // namespace
}  // namespace karma::agent
