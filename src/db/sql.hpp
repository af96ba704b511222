#pragma once
// The few SQL fragments that differ between the dialects. Text arrays are TEXT[] on PostgreSQL
// (the seed's type) and a JSON array in a TEXT column on SQLite; both bind and read as JSON text.
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace karma::db {

// The expression to write parameter $n (bound to encode_text_array(...)) into an array column.
std::string text_array_param(Dialect dialect, int n);
// The expression that reads `column` as JSON array text.
std::string text_array_select(Dialect dialect, std::string_view column);
// A condition: `column` contains the text bound to parameter $n.
std::string text_array_contains(Dialect dialect, std::string_view column, int n);

// `column` (a JSON object) with the keys of the object bound to $n merged in; a NULL parameter
// leaves it as it is.
std::string json_merge(Dialect dialect, std::string_view column, int n);

// `column` in lower case by the same Unicode mapping as karma::unicode_lower(), which lowers
// what it is compared with.
std::string lowered(Dialect dialect, std::string_view column);

// Appended to a SELECT that reads rows the transaction goes on to change: " FOR UPDATE" on
// PostgreSQL (a concurrent writer waits, and this one reads the latest version); nothing on
// SQLite, whose write transactions (BEGIN IMMEDIATE) already run one at a time.
std::string_view row_lock(Dialect dialect);

// A condition: `column` (ids: UUID on PostgreSQL) is one of the ids bound to parameter $n as
// id_list(dialect, ids). One statement text whatever the number of ids.
std::string id_in(Dialect dialect, std::string_view column, int n);
// The ids as id_in binds them: a JSON array for SQLite's json_each, an array literal that
// PostgreSQL casts to uuid[] (measured ~40 % cheaper than unpacking JSON there).
std::string id_list(Dialect dialect, const std::vector<std::string>& ids);
// A condition: `column` (text) is one of the strings bound to parameter $n as
// encode_text_array(strings) — any strings, quoted as JSON.
std::string text_in(Dialect dialect, std::string_view column, int n);

std::string encode_text_array(const std::vector<std::string>& items);
std::vector<std::string> decode_text_array(std::string_view json);

// A LIKE pattern matching `text` anywhere, with %, _ and \ escaped (use with ESCAPE '\').
std::string contains_pattern(std::string_view text);
// A LIKE pattern matching what starts with `text`, escaped the same way.
std::string prefix_pattern(std::string_view text);

}  // namespace karma::db
