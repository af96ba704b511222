#pragma once
// Unicode case mapping for case-insensitive search, the same on both databases: this function
// (ICU's root-locale lower case) lowers the query, and the column is lowered by the same ICU —
// SQL's unicode_lower() on SQLite (registered by the backend), LOWER(x COLLATE "und-x-icu") on
// PostgreSQL (db::lowered).
#include <string>
#include <string_view>

namespace karma {

// `text` (UTF-8) in lower case; malformed sequences come back as U+FFFD.
std::string unicode_lower(std::string_view text);

}  // namespace karma
