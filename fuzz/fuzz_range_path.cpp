// Range headers against a file size, file paths and names, and the JSON string escaper every
// response goes through (whatever bytes it is given, the result is a strict JSON string).
#include <cstdint>
#include <cstring>
#include <string>

#include "files/file_json.hpp"
#include "files/file_path.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace karma;
  if (size < 8) return 0;
  std::uint64_t file_size;
  std::memcpy(&file_size, data, 8);
  file_size %= (1ull << 40);
  const std::string_view text(reinterpret_cast<const char*>(data) + 8, size - 8);

  fuzz::refusable([&] {
    if (const auto range = files::parse_range(text, file_size)) {
      const auto [first, length] = *range;
      if (length == 0 || first >= file_size || length > file_size - first) __builtin_trap();
    }
  });
  fuzz::refusable([&] {
    const std::string path = files::normalize_path(text, "path");
    if (path.empty() || path.front() != '/' || !valid_utf8(path)) __builtin_trap();
    if (files::normalize_path(path, "path") != path) __builtin_trap();  // idempotent
  });
  fuzz::refusable([&] { (void)files::validate_name(text, "name"); });

  std::string quoted;
  json::append_quoted(quoted, text);
  fuzz::require_strict_json(quoted);
  return 0;
}
