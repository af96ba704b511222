// The HTTP request head and body parser as the server drives it: a bounded read buffer, the
// header limit, trailers counted against it, the header checks and the target, then the body
// read either buffered (string_body) or streamed (buffer_body) as streaming routes do.
#include <cstdint>
#include <cstring>
#include <string>

#include "core/validation.hpp"
#include "fuzz_common.hpp"
#include "http/request_parser.hpp"

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using namespace karma;

// Offers `input` to `parser` `step` bytes at a time through `buffer`, as Beast's read loop does.
// False when the parser reported an error (the server answers and closes).
template <class Parser, class Done>
bool feed(Parser& parser, beast::flat_buffer& buffer, std::string_view& input, std::size_t step,
          Done done) {
  while (!done()) {
    if (!input.empty() && buffer.size() < buffer.max_size()) {
      const std::size_t n = std::min({step, input.size(), buffer.max_size() - buffer.size()});
      auto room = buffer.prepare(n);
      std::memcpy(room.data(), input.data(), n);
      buffer.commit(n);
      input.remove_prefix(n);
    } else if (buffer.size() == buffer.max_size()) {
      return false;  // buffer_overflow
    }
    beast::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (!ec && used == 0 && input.empty()) return false;  // nothing more will come
    if (ec == bhttp::error::need_buffer) continue;
    if (ec == bhttp::error::need_more) {
      if (input.empty()) return false;  // the peer went away mid-message
      continue;
    }
    if (ec) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t step = 1 + data[0] % 97;  // how the bytes arrive
  const bool streamed = data[0] & 0x80;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  beast::flat_buffer buffer(http::kReadBufferBytes);
  http::RequestParser<bhttp::string_body> parser;
  parser.body_limit(boost::none);
  parser.eager(false);
  const std::size_t before = input.size();
  if (!feed(parser, buffer, input, step, [&] { return parser.is_header_done(); })) return 0;
  parser.header_used(before - input.size() - buffer.size());

  auto& head = parser.get();
  if (auto refusal = http::ambiguous_header(head)) fuzz::require_strict_json(refusal->body);
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  if (http::parse_target(head.target(), path, query)) {
    for (const auto& param : query) {
      fuzz::refusable([&] { require_storable(param.first, param.second); });
    }
  }
  for (const auto& field : head) (void)ascii_lower(field.name_string());

  if (streamed) {
    http::RequestParser<bhttp::buffer_body> body_parser(std::move(parser));
    char chunk[512];
    while (!body_parser.is_done()) {
      body_parser.get().body().data = chunk;
      body_parser.get().body().size = sizeof chunk;
      const bool ok = feed(body_parser, buffer, input, step, [&] {
        return body_parser.is_done() || body_parser.get().body().size == 0;
      });
      if (!ok) break;
    }
  } else {
    if (!parser.limit_body(1024 * 1024)) return 0;
    feed(parser, buffer, input, step, [&] { return parser.is_done(); });
  }
  return 0;
}
