#include "core/stamped_cache.hpp"

#include <gtest/gtest.h>

namespace karma {
namespace {

StampedCache::Rendered rendered(std::string body, std::vector<std::string> not_for = {},
                                bool shareable = true) {
  StampedCache::Rendered r;
  r.body = std::move(body);
  r.not_for = std::move(not_for);
  r.shareable = shareable;
  return r;
}

TEST(StampedCache, ReusesBytesWhileTheStampHoldsAndRendersAgainWhenItMoves) {
  StampedCache cache(1 << 20);
  int renders = 0;
  const auto get = [&](const std::string& stamp) {
    return *cache.find_or_render("k", stamp, "u", [&] {
      ++renders;
      return rendered("v" + stamp);
    });
  };
  EXPECT_EQ(get("1"), "v1");
  EXPECT_EQ(get("1"), "v1");
  EXPECT_EQ(renders, 1);
  EXPECT_EQ(get("2"), "v2");
  EXPECT_EQ(get("2"), "v2");
  EXPECT_EQ(renders, 2);
}

TEST(StampedCache, CallersAnAnswerIsNotForAndPersonalAnswersAreRenderedEachTime) {
  StampedCache cache(1 << 20);
  int renders = 0;
  const auto get = [&](std::string_view caller) {
    return *cache.find_or_render("k", "1", caller, [&] {
      ++renders;
      return caller == "author" ? rendered("with prompt", {}, false)
                                : rendered("shared", {"author"});
    });
  };
  EXPECT_EQ(get("reader"), "shared");
  EXPECT_EQ(get("author"), "with prompt");
  EXPECT_EQ(get("author"), "with prompt");
  EXPECT_EQ(get("reader"), "shared");
  EXPECT_EQ(renders, 3);
}

TEST(StampedCache, StaysWithinItsBudgetDroppingTheLeastRecentlyUsed) {
  const std::string body(1000, 'x');
  StampedCache cache(4 * (body.size() + 200));  // about four answers
  int renders = 0;
  const auto get = [&](const std::string& key) {
    cache.find_or_render(key, "1", "u", [&] {
      ++renders;
      return rendered(body);
    });
  };
  for (const char* key : {"a", "b", "c"}) get(key);
  get("a");  // a is now the most recent
  get("d");
  get("e");  // b, the least recently used, makes room
  renders = 0;
  get("a");
  EXPECT_EQ(renders, 0) << "a was used recently and stays";
  get("b");
  EXPECT_EQ(renders, 1) << "b was dropped";
}

TEST(StampedCache, AZeroBudgetOrAnAnswerTooLargeKeepsNothing) {
  int renders = 0;
  const auto render = [&] {
    ++renders;
    return rendered(std::string(100, 'x'));
  };
  StampedCache none(0);
  none.find_or_render("k", "1", "u", render);
  none.find_or_render("k", "1", "u", render);
  EXPECT_EQ(renders, 2);
  StampedCache small(200);  // one answer may take a quarter at most
  small.find_or_render("k", "1", "u", render);
  small.find_or_render("k", "1", "u", render);
  EXPECT_EQ(renders, 4);
}

}  // namespace
}  // namespace karma
