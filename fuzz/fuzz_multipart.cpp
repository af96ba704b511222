// The multipart/form-data parser fed a body in arbitrary pieces, as the upload stream does: the
// unconsumed tail is offered again with more bytes, in a buffer of the parser's minimum size.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "http/multipart.hpp"

namespace {

class CountingSink final : public karma::http::MultipartSink {
 public:
  void on_part_begin(const karma::http::PartHeaders& headers) override {
    open_ = true;
    names_ += headers.name.size() + (headers.filename ? headers.filename->size() : 0);
  }
  void on_part_data(std::string_view bytes) override {
    if (!open_) __builtin_trap();  // data outside a part
    bytes_ += bytes.size();
  }
  void on_part_end() override {
    if (!open_) __builtin_trap();
    open_ = false;
  }

 private:
  bool open_ = false;
  std::size_t names_ = 0, bytes_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t step = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  // The Content-Type comes first, up to a newline; a fixed one when there is none.
  std::string content_type = "multipart/form-data; boundary=XyZ";
  if (const auto eol = input.find('\n'); eol != std::string_view::npos && eol < 200) {
    content_type = std::string(input.substr(0, eol));
    input.remove_prefix(eol + 1);
  }
  const auto boundary = karma::http::multipart_boundary(content_type);
  if (!boundary) return 0;
  CountingSink sink;
  karma::fuzz::refusable([&] {
    karma::http::MultipartParser parser(*boundary, sink);
    std::string held;
    const std::size_t room = parser.min_buffer();
    while (!input.empty()) {
      const std::size_t n = std::min({step, input.size(), room - std::min(room, held.size())});
      held.append(input.substr(0, n));
      input.remove_prefix(n);
      const std::size_t used = parser.consume(held);
      if (used == 0 && held.size() >= room) __builtin_trap();  // promised progress
      held.erase(0, used);
    }
    parser.finish();
  });
  return 0;
}
