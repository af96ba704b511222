#pragma once
// The contract's envelopes and JSON body parsing.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karma {

class AppError;

namespace json {

// {"success":true,"data":<data>,"timestamp":<ms>}
std::string success_envelope(const boost::json::value& data);
// The same around `data_json`, JSON text the caller wrote (hot paths that skip the DOM).
std::string success_envelope_text(std::string_view data_json);
// {"success":false,"error":{"code","message","details"?},"timestamp":<ms>}
std::string error_envelope(const AppError& error);

// Parses a request body that must be a JSON object; throws VALIDATION_ERROR otherwise.
boost::json::object parse_object(std::string_view body);
// The string at `key`; empty when it is absent or not a string (answers of other services).
std::string string_member(const boost::json::object& object, std::string_view key);

// Compact JSON text of `v`; doubles in their shortest round-trip form ("12.5", not "1.25E1"),
// non-finite ones as null, malformed UTF-8 as U+FFFD. Always strict JSON, unlike
// boost::json::serialize — which an unqualified serialize(object) finds by ADL: qualify calls.
std::string serialize(const boost::json::value& v);
std::string serialize(const boost::json::object& object);
std::string serialize(const boost::json::array& array);
// Appends `text` as a JSON string literal, quoted and escaped.
void append_quoted(std::string& out, std::string_view text);
// Appends `d` in its shortest round-trip form; non-finite as null.
void append_number(std::string& out, double d);
// Appends `text` quoted, or null when there is none.
void append_quoted_or_null(std::string& out, const std::optional<std::string>& text);
// Appends ["a","b",…].
void append_string_array(std::string& out, const std::vector<std::string>& items);

// {"<key>":<item>}, the item written by `append_item(out, item)`.
template <class Item, class AppendItem>
std::string keyed_text(std::string_view key, const Item& item, AppendItem append_item) {
  std::string out = "{\"";
  out += key;
  out += "\":";
  append_item(out, item);
  out += '}';
  return out;
}

// Appends {"<key>":[<items> — the open start of both envelopes below.
template <class Items, class AppendItem>
void append_keyed_items(std::string& out, std::string_view key, const Items& items,
                        AppendItem append_item) {
  out += "{\"";
  out += key;
  out += "\":[";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    append_item(out, item);
  }
}

// {"<key>":[<items>]}: an unpaged list.
template <class Items, class AppendItem>
std::string list_text(std::string_view key, const Items& items, AppendItem append_item) {
  std::string out;
  append_keyed_items(out, key, items, append_item);
  out += "]}";
  return out;
}

// The paged envelope every list answers, as JSON text (its schema: http::schema::page):
// {"<key>":[<items>],"total":…,"page":…,"pageSize":…}. `append_item(out, item)` writes one item;
// `item_bytes` sizes the buffer up front.
template <class Items, class AppendItem>
std::string page_text(std::string_view key, const Items& items, std::int64_t total,
                      std::int64_t page, std::int64_t page_size, AppendItem append_item,
                      std::size_t item_bytes = 256) {
  std::string out;
  out.reserve(items.size() * item_bytes + key.size() + 64);
  append_keyed_items(out, key, items, append_item);
  out += "],\"total\":" + std::to_string(total) + ",\"page\":" + std::to_string(page) +
         ",\"pageSize\":" + std::to_string(page_size) + "}";
  return out;
}

}  // namespace json
}  // namespace karma
