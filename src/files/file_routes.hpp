#pragma once
// API.md §3: device files and folders.
#include "files/file_service.hpp"
#include "http/router.hpp"

namespace karma::files {

void mount_file_routes(http::Router& router, FileService& service);

// Parses a single-range "Range: bytes=…" header against a `size`-byte file: the first byte and
// the length. nullopt when the header is absent. Throws VALIDATION_ERROR when malformed or a
// multi-range, RANGE_NOT_SATISFIABLE when outside the file.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(std::string_view header,
                                                                   std::uint64_t size);
// Content-Disposition for a download named `name` (RFC 6266: an ASCII fallback and filename*).
std::string content_disposition(std::string_view name);

}  // namespace karma::files
