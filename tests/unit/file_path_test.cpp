// Device file paths: normalisation and everything that must be rejected.
#include "files/file_path.hpp"

#include <gtest/gtest.h>

#include "core/app_error.hpp"

namespace karma::files {
namespace {

void expect_rejected(std::string_view raw) {
  try {
    normalize_path(raw, "path");
    ADD_FAILURE() << "accepted: " << raw;
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), ErrorCode::validation);
    EXPECT_EQ(e.details().at("field"), "path");
  }
}

TEST(FilePath, NormalizesAbsolutePaths) {
  EXPECT_EQ(normalize_path("/", "path"), "/");
  EXPECT_EQ(normalize_path("/photos/", "path"), "/photos");
  EXPECT_EQ(normalize_path("/photos/2026/caf\xC3\xA9 1.png", "path"),
            "/photos/2026/caf\xC3\xA9 1.png");
  EXPECT_EQ(normalize_path("/a/..b/c..", "path"), "/a/..b/c..") << "dots inside names are fine";
}

TEST(FilePath, RejectsTraversalAndHostileBytes) {
  for (std::string_view bad : {"", "photos", "./a", "/a/../b", "/..", "/a/./b", "/a//b", "//",
                               "/a\\b", "/a/\r\nX-Injected: 1", "/tab\there", "/del\x7f"}) {
    SCOPED_TRACE(bad);
    expect_rejected(bad);
  }
  expect_rejected(std::string("/a\0b", 4));
  expect_rejected("/bad\xC3");           // truncated UTF-8
  expect_rejected("/overlong\xC0\xAF");  // overlong "/"
  expect_rejected("/surrogate\xED\xA0\x80");
  expect_rejected("/" + std::string(256, 'n'));
  expect_rejected("/" + std::string(600, 'a') + "/" + std::string(600, 'b'));
  EXPECT_EQ(normalize_path("/" + std::string(255, 'n'), "path").size(), 256u);
}

TEST(FilePath, NamesAreOneSegment) {
  EXPECT_EQ(validate_name("report.pdf", "file"), "report.pdf");
  EXPECT_THROW(validate_name("a/b", "file"), AppError);
  EXPECT_THROW(validate_name("..", "file"), AppError);
  EXPECT_THROW(validate_name("", "file"), AppError);
  EXPECT_THROW(validate_name("evil\"\r\nSet-Cookie: x", "file"), AppError);
}

TEST(FilePath, PartsOfPaths) {
  EXPECT_EQ(parent_path("/a/b"), "/a");
  EXPECT_EQ(parent_path("/a"), "/");
  EXPECT_EQ(parent_path("/"), "/");
  EXPECT_EQ(base_name("/a/b.txt"), "b.txt");
  EXPECT_EQ(join_path("/", "b"), "/b");
  EXPECT_EQ(join_path("/a", "b"), "/a/b");
  EXPECT_TRUE(is_within("/a/b", "/a"));
  EXPECT_TRUE(is_within("/a", "/a"));
  EXPECT_TRUE(is_within("/x", "/"));
  EXPECT_FALSE(is_within("/ab", "/a"));
}

}  // namespace
}  // namespace karma::files
