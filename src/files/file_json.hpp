#pragma once
// DeviceFile and DeviceFolder as API.md §3 shows them, and the file routes' parameters.
#include <boost/json/object.hpp>

#include "core/validation.hpp"
#include "files/file_service.hpp"

namespace karma::files {

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
