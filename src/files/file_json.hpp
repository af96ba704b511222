#pragma once
// DeviceFile and DeviceFolder as API.md §3 shows them, and the file routes' parameters.
#include <boost/json/object.hpp>

#include "core/validation.hpp"
#include "files/file_service.hpp"
#include "http/openapi.hpp"

#include <array>
#include <string_view>

namespace karma::files {

inline constexpr std::array<std::string_view, 8> kFileTypes{"document", "image", "video", "audio",
                                                            "archive",  "code",  "data",  "other"};
inline constexpr std::array<std::string_view, 7> kFileCategories{
    "task_output", "media", "config", "log", "cache", "temp", "user"};
inline constexpr std::array<std::string_view, 4> kFileSorts{"name", "size", "createdAt",
                                                            "modifiedAt"};
inline constexpr std::array<std::string_view, 4> kBatchOperations{"delete", "move", "copy",
                                                                  "download"};

// DeviceFile, DeviceFolder and the batch bodies; the listing's query parameters.
void add_file_schemas(http::Components& components);
std::vector<http::Parameter> file_list_parameters();

boost::json::object file_json(const FileRecord& f);
boost::json::object folder_json(const std::string& device_id, const FolderSummary& folder);

// The query of GET …/files.
FileQuery parse_file_query(const QueryFields::Params& query);
// Parses a single-range "Range: bytes=…" header against a `size`-byte file: the first byte and
// the length. nullopt when the header is absent, malformed or a multi-range (the whole file is
// sent); throws RANGE_NOT_SATISFIABLE when the range lies outside the file.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(std::string_view header,
                                                                   std::uint64_t size);

}  // namespace karma::files
