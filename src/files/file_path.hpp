#pragma once
// Paths of device files: absolute POSIX paths kept as data, never as filesystem paths (blobs
// are stored under their content hash). Everything a path may not contain is rejected here.
#include <string>
#include <string_view>

namespace karma::files {

constexpr std::size_t kMaxPathBytes = 1024;
constexpr std::size_t kMaxNameBytes = 255;

// "/a/b" or "/a/b/" → "/a/b"; "/" stays "/". Throws VALIDATION_ERROR naming `field` for a
// relative path, empty, "." or ".." segments, NUL or other control characters, backslashes,
// invalid UTF-8, a segment over kMaxNameBytes or a path over kMaxPathBytes.
std::string normalize_path(std::string_view raw, std::string_view field);
// A single file name (an upload's filename): the same rules as one path segment.
std::string validate_name(std::string_view raw, std::string_view field);

// "/a/b" → "/a"; "/a" → "/"; "/" → "/".
std::string parent_path(std::string_view path);
// "/a/b.txt" → "b.txt"; "/" → "".
std::string_view base_name(std::string_view path);
// "/a" + "b" → "/a/b"; "/" + "b" → "/b".
std::string join_path(std::string_view folder, std::string_view name);
// Whether `path` is `folder` itself or below it.
bool is_within(std::string_view path, std::string_view folder);

}  // namespace karma::files
