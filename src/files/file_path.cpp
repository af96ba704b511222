#include "files/file_path.hpp"

#include <boost/json/object.hpp>

#include "core/app_error.hpp"
#include "core/validation.hpp"

namespace karma::files {
namespace {

[[noreturn]] void reject(std::string_view field, const std::string& message) {
  throw AppError::invalid(field, message);
}

void check_segment(std::string_view segment, std::string_view field) {
  if (segment.empty()) reject(field, "must not contain empty segments");
  if (segment == "." || segment == "..") reject(field, "must not contain . or .. segments");
  if (segment.size() > kMaxNameBytes)
    reject(field, "segments must be at most " + std::to_string(kMaxNameBytes) + " bytes");
  for (std::size_t i = 0; i < segment.size();) {
    const unsigned char c = static_cast<unsigned char>(segment[i]);
    if (c < 0x20 || c == 0x7F) reject(field, "must not contain control characters");
    if (c == '\\') reject(field, "must not contain backslashes");
    const std::size_t length = utf8_sequence(segment, i);
    if (length == 0) reject(field, "must be valid UTF-8");
    i += length;
  }
}

}  // namespace

std::string normalize_path(std::string_view raw, std::string_view field) {
  if (raw.empty() || raw.front() != '/') reject(field, "must be an absolute path");
  if (raw.size() > kMaxPathBytes)
    reject(field, "must be at most " + std::to_string(kMaxPathBytes) + " bytes");
  if (raw.size() > 1 && raw.back() == '/' && raw[raw.size() - 2] != '/') raw.remove_suffix(1);
  if (raw == "/") return "/";
  std::size_t start = 1;
  while (start <= raw.size()) {
    const std::size_t slash = raw.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? raw.size() : slash;
    check_segment(raw.substr(start, end - start), field);
    start = end + 1;
  }
  return std::string(raw);
}

std::string validate_name(std::string_view raw, std::string_view field) {
  if (raw.empty()) reject(field, "must not be empty");
  if (raw.find('/') != std::string_view::npos) reject(field, "must not contain slashes");
  check_segment(raw, field);
  return std::string(raw);
}

std::string parent_path(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string_view base_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string join_path(std::string_view folder, std::string_view name) {
  std::string out(folder);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

bool is_within(std::string_view path, std::string_view folder) {
  if (folder == "/") return true;
  return path == folder ||
         (path.starts_with(folder) && path.size() > folder.size() && path[folder.size()] == '/');
}

}  // namespace karma::files
