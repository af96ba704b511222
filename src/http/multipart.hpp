#pragma once
// An incremental multipart/form-data parser (RFC 7578) that never holds a part's content: the
// caller reads the body into its own buffer and offers it with consume(); the parser hands
// content out as views into that buffer and reports how many bytes it is done with. Bytes it
// cannot decide on yet (a possible boundary at the end) stay in the caller's buffer and are
// offered again, followed by more data.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace karma::http {

struct MultipartLimits {
  std::size_t max_parts = 32;
  std::size_t max_header_bytes = 8 * 1024;  // one part's header block
  std::size_t max_preamble_bytes = 8 * 1024;
};

struct PartHeaders {
  std::string name;                     // Content-Disposition name
  std::optional<std::string> filename;  // filename* (RFC 5987, UTF-8) wins over filename
  std::string content_type;             // empty when absent
};

class MultipartSink {
 public:
  virtual ~MultipartSink() = default;
  virtual void on_part_begin(const PartHeaders& headers) = 0;
  virtual void on_part_data(std::string_view bytes) = 0;
  virtual void on_part_end() = 0;
};

class MultipartParser {
 public:
  MultipartParser(std::string_view boundary, MultipartSink& sink, MultipartLimits limits = {});

  // Parses what it can of `data` and returns how many leading bytes it consumed; the rest must
  // be offered again with more data appended. Throws AppError VALIDATION_ERROR on malformed
  // input or exceeded limits. Never needs more than max_header_bytes + boundary + 8 bytes
  // of unconsumed data to make progress.
  std::size_t consume(std::string_view data);
  // The body ended: throws VALIDATION_ERROR unless the closing boundary was seen.
  void finish() const;
  bool complete() const { return state_ == State::epilogue; }
  // The buffer a caller needs to be sure consume() always makes progress.
  std::size_t min_buffer() const;

 private:
  enum class State { preamble, after_delimiter, headers, content, epilogue };
  std::size_t consume_preamble(std::string_view data);
  std::size_t consume_after_delimiter(std::string_view data);
  std::size_t consume_headers(std::string_view data);
  std::size_t consume_content(std::string_view data);

  std::string first_delimiter_;  // "--boundary"
  std::string delimiter_;        // "\r\n--boundary"
  MultipartSink& sink_;
  MultipartLimits limits_;
  State state_ = State::preamble;
  std::size_t parts_ = 0;
  std::size_t preamble_seen_ = 0;
};

// The boundary of a "multipart/form-data; boundary=..." Content-Type, or nullopt when the type
// is something else or the boundary is missing or invalid (RFC 2046: 1–70 characters).
std::optional<std::string> multipart_boundary(std::string_view content_type);

}  // namespace karma::http
