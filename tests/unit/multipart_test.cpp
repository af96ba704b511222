// The streaming multipart parser: parts split anywhere across reads, limits, malformed bodies.
#include "http/multipart.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/app_error.hpp"

namespace karma::http {
namespace {

struct Part {
  PartHeaders headers;
  std::string content;
  bool ended = false;
};

struct Collector : MultipartSink {
  std::vector<Part> parts;
  std::size_t largest_chunk = 0;
  void on_part_begin(const PartHeaders& h) override { parts.push_back({h, {}, false}); }
  void on_part_data(std::string_view bytes) override {
    parts.back().content.append(bytes);
    largest_chunk = std::max(largest_chunk, bytes.size());
  }
  void on_part_end() override { parts.back().ended = true; }
};

// Feeds `body` in reads of `step` bytes the way a server does: unconsumed bytes stay at the
// front of the buffer and the next read is appended.
std::vector<Part> parse(std::string_view body, std::size_t step, MultipartLimits limits = {},
                        std::string_view boundary = "XyZ") {
  Collector sink;
  MultipartParser parser(boundary, sink, limits);
  std::string buffer;
  for (std::size_t at = 0; at < body.size(); at += step) {
    buffer.append(body.substr(at, step));
    buffer.erase(0, parser.consume(buffer));
  }
  parser.finish();
  return sink.parts;
}

const std::string kBody =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"path\"\r\n"
    "\r\n"
    "/photos\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".bin\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "line one\r\n--Xy not a boundary\r\n-XyZ still content\r\n"
    "--XyZ--\r\n"
    "epilogue";

TEST(Multipart, ParsesPartsWhateverTheReadSize) {
  for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 4096u}) {
    SCOPED_TRACE(step);
    const auto parts = parse(kBody, step);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].headers.name, "path");
    EXPECT_FALSE(parts[0].headers.filename);
    EXPECT_EQ(parts[0].content, "/photos");
    EXPECT_EQ(parts[1].headers.name, "file");
    EXPECT_EQ(parts[1].headers.filename, "a \"q\".bin");
    EXPECT_EQ(parts[1].headers.content_type, "application/octet-stream");
    EXPECT_EQ(parts[1].content, "line one\r\n--Xy not a boundary\r\n-XyZ still content");
    EXPECT_TRUE(parts[1].ended);
  }
}

TEST(Multipart, ContentIsHandedOutWithoutWaitingForThePartToEnd) {
  const std::string content(1 << 20, 'c');
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
      "filename=\"big\"\r\n\r\n" +
      content + "\r\n--XyZ--";
  Collector sink;
  MultipartParser parser("XyZ", sink);
  std::string buffer;
  std::size_t largest_buffer = 0;
  for (std::size_t at = 0; at < body.size(); at += 65536) {
    buffer.append(std::string_view(body).substr(at, 65536));
    largest_buffer = std::max(largest_buffer, buffer.size());
    buffer.erase(0, parser.consume(buffer));
  }
  parser.finish();
  ASSERT_EQ(sink.parts.size(), 1u);
  EXPECT_EQ(sink.parts[0].content.size(), content.size());
  EXPECT_LT(largest_buffer, 65536u + 64) << "only a boundary-sized tail is ever held back";
}

TEST(Multipart, Rfc5987FilenameWinsAndEmptyPartsAreParts) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fallback.txt\"; "
      "filename*=UTF-8''caf%C3%A9%20menu.txt\r\n\r\n\r\n--XyZ--\r\n";
  const auto parts = parse(body, 5);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].headers.filename, "caf\xC3\xA9 menu.txt");
  EXPECT_EQ(parts[0].content, "");
  EXPECT_TRUE(parts[0].ended);
}

void expect_malformed(std::string_view body, MultipartLimits limits = {}) {
  try {
    parse(body, 3, limits);
    ADD_FAILURE() << "accepted: " << body.substr(0, 80);
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), ErrorCode::validation) << e.what();
  }
}

TEST(Multipart, MalformedBodiesAreValidationErrors) {
  expect_malformed("");                                   // nothing at all
  expect_malformed("no boundary anywhere in this body");  // never opened
  expect_malformed(kBody.substr(0, kBody.size() - 20));   // truncated inside a part
  expect_malformed("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--");  // no disposition
  expect_malformed("--XyZ\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--XyZ--");
  expect_malformed("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--");  // no name
  expect_malformed("--XyZ\r\nContent-Disposition: form-data; name=\"unclosed\r\n\r\nx\r\n--XyZ--");
  expect_malformed("--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--XyZjunk");
  expect_malformed("--XyZ\r\n" + std::string(10000, 'h') + "\r\n\r\nx\r\n--XyZ--");
}

TEST(Multipart, ManyPartsAreRefused) {
  std::string body;
  for (int i = 0; i < 10000; ++i)
    body += "--XyZ\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n";
  body += "--XyZ--";
  expect_malformed(body);
  MultipartLimits roomy;
  roomy.max_parts = 10000;
  EXPECT_EQ(parse(body, 4096, roomy).size(), 10000u);
}

TEST(Multipart, BoundaryComesFromTheContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\""), "a b:c");
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(multipart_boundary("multipart/mixed; boundary=abc"));
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"a\r\nX-Injected: 1\""));
}

}  // namespace
}  // namespace karma::http
