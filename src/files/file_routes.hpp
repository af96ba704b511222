#pragma once
// API.md §3: device files and folders.
#include "files/file_service.hpp"
#include "http/router.hpp"

namespace karma::files {

void mount_file_routes(http::Router& router, FileService& service);

// Content-Disposition for a download named `name` (RFC 6266: an ASCII fallback and filename*).
std::string content_disposition(std::string_view name);

}  // namespace karma::files
