// File classification: content signatures first, then the extension.
#include "files/file_types.hpp"

#include <gtest/gtest.h>

namespace karma::files {
namespace {

TEST(FileTypes, ExtensionDecidesForUnrecognisedContent) {
  const auto csv = classify("Report.CSV", "a,b\n1,2\n");
  EXPECT_EQ(csv.extension, "csv");
  EXPECT_EQ(csv.mime_type, "text/csv");
  EXPECT_EQ(csv.type, "data");
  EXPECT_EQ(classify("main.cpp", "int main() {}").type, "code");
  EXPECT_EQ(classify("archive.tar.gz", "\x1F\x8B\x08").extension, "gz");
}

TEST(FileTypes, SignaturesWinOverMisleadingNames) {
  const auto png = classify("notes.txt", std::string_view("\x89PNG\r\n\x1a\n\0\0", 10));
  EXPECT_EQ(png.extension, "txt");
  EXPECT_EQ(png.mime_type, "image/png");
  EXPECT_EQ(png.type, "image");
  EXPECT_EQ(classify("x", "%PDF-1.7").type, "document");
  EXPECT_EQ(classify("clip.mov", std::string_view("\0\0\0\x14"
                                                  "ftypqt  ",
                                                  12))
                .mime_type,
            "video/quicktime");
  EXPECT_EQ(classify("sheet.xlsx", "PK\x03\x04rest").type, "document");
  EXPECT_EQ(classify("bundle", "PK\x03\x04rest").mime_type, "application/zip");
}

TEST(FileTypes, UnknownContentIsTextOrOctetStream) {
  EXPECT_EQ(classify("README", "plain words\n").mime_type, "text/plain");
  const auto blob = classify("data.bin", std::string_view("\x00\x01\x02", 3));
  EXPECT_EQ(blob.mime_type, "application/octet-stream");
  EXPECT_EQ(blob.type, "other");
  EXPECT_EQ(classify(".hidden", "").extension, "") << "a leading dot is not an extension";
}

}  // namespace
}  // namespace karma::files
