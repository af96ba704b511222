#pragma once
// How the server reads a request head: Beast's parser with bounded trailers, the header checks
// RFC 9112 asks for, and the request target. Beast-level, so only src/http (and the fuzz
// targets) include it.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/request.hpp"

namespace karma::http {

namespace bhttp = boost::beast::http;

inline constexpr std::size_t kHeaderLimitBytes = 16 * 1024;
// The read buffer's bound: a header, or a chunk header or trailer section, must fit in it (Beast
// holds each whole before parsing it); streamed bodies read up to 64 KiB at a time through it.
inline constexpr std::size_t kReadBufferBytes = 128 * 1024;

// Beast's request parser with the trailer fields of a chunked body dropped (RFC 9110 §6.5.1
// lets a recipient discard them) and counted against the header limit. Beast itself bounds
// neither, and throws out of the I/O thread for a field over 64 KiB.
template <class Body>
class RequestParser final : public bhttp::request_parser<Body> {
 public:
  RequestParser() { this->header_limit(kHeaderLimitBytes); }
  // Takes over a parser that has read the header (to read the body into another Body type).
  template <class Other>
  explicit RequestParser(RequestParser<Other>&& other)
      : bhttp::request_parser<Body>(static_cast<bhttp::request_parser<Other>&&>(other)),
        trailer_budget_(other.trailer_budget()) {}

  // What the trailer section may still take: the header limit less what the header used.
  void header_used(std::size_t bytes) {
    trailer_budget_ = bytes < kHeaderLimitBytes ? kHeaderLimitBytes - bytes : 0;
  }
  std::size_t trailer_budget() const { return trailer_budget_; }

  // Limits the body once the header is read; false when the declared Content-Length is already
  // over it. Beast checks its body limit only while the header is parsed, and a buffered body
  // reserves the declared length at once, so a header read without a limit must come here.
  bool limit_body(std::uint64_t limit) {
    if (this->content_length() && *this->content_length() > limit) return false;
    this->body_limit(limit);  // chunked bodies are counted as they arrive
    return true;
  }

 private:
  void on_field_impl(bhttp::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override {
    if (!this->is_header_done()) {
      this->get().insert(name, name_string, value);
      return;
    }
    const std::size_t cost = name_string.size() + value.size() + 4;  // ": " and CRLF
    if (cost > trailer_budget_) {
      ec = bhttp::error::header_limit;
      return;
    }
    trailer_budget_ -= cost;
  }

  std::size_t trailer_budget_ = kHeaderLimitBytes;
};

// RFC 9112 §3.2: an HTTP/1.1 request carries exactly one Host (HTTP/1.0 may omit it). Fields a
// proxy in front and this server could read differently when repeated — which Authorization
// counts? — are refused rather than "the first wins". The 400 to answer, if any.
std::optional<Response> ambiguous_header(const bhttp::request<bhttp::string_body>& request);

// The decoded path and query of an origin-form ("/path?query") or absolute-form
// ("http://host/path?query", RFC 9112 §3.2.2, as proxies send it) target; false for anything
// else.
bool parse_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query);

}  // namespace karma::http
