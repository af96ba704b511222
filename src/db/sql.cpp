#include "db/sql.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json.hpp"

namespace karma::db {

std::string text_array_param(Dialect dialect, int n) {
  const std::string p = "$" + std::to_string(n);
  if (dialect == Dialect::sqlite) return p;
  return "ARRAY(SELECT jsonb_array_elements_text(CAST(" + p + " AS jsonb)))";
}

std::string text_array_select(Dialect dialect, std::string_view column) {
  if (dialect == Dialect::sqlite) return std::string(column);
  return "array_to_json(" + std::string(column) + ")";
}

std::string text_array_contains(Dialect dialect, std::string_view column, int n) {
  const std::string p = "$" + std::to_string(n);
  if (dialect == Dialect::sqlite)
    return "EXISTS (SELECT 1 FROM json_each(" + std::string(column) + ") WHERE value = " + p + ")";
  return "CAST(" + p + " AS TEXT) = ANY(" + std::string(column) + ")";
}

std::string id_in(Dialect dialect, std::string_view column, int n) {
  const std::string p = "$" + std::to_string(n);
  if (dialect == Dialect::sqlite)
    return std::string(column) + " IN (SELECT value FROM json_each(" + p + "))";
  return std::string(column) + " = ANY(CAST(" + p + " AS uuid[]))";
}

std::string text_in(Dialect dialect, std::string_view column, int n) {
  const std::string p = "$" + std::to_string(n);
  if (dialect == Dialect::sqlite)
    return std::string(column) + " IN (SELECT value FROM json_each(" + p + "))";
  return std::string(column) + " IN (SELECT jsonb_array_elements_text(CAST(" + p + " AS jsonb)))";
}

std::string id_list(Dialect dialect, const std::vector<std::string>& ids) {
  if (dialect == Dialect::sqlite) return encode_text_array(ids);
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += ids[i];  // UUIDs: nothing to quote
  }
  out += '}';
  return out;
}

std::string json_merge(Dialect dialect, std::string_view column, int n) {
  const std::string p = "$" + std::to_string(n);
  const std::string c(column);
  if (dialect == Dialect::sqlite) return "COALESCE(json_patch(" + c + ", " + p + "), " + c + ")";
  return "COALESCE(" + c + " || CAST(" + p + " AS jsonb), " + c + ")";
}

std::string lowered(Dialect dialect, std::string_view column) {
  if (dialect == Dialect::sqlite) return "unicode_lower(" + std::string(column) + ")";
  // ICU's root locale whatever the database's collation (C, C.UTF-8, en_US …).
  return "LOWER(" + std::string(column) + " COLLATE \"und-x-icu\")";
}

std::string_view row_lock(Dialect dialect) {
  return dialect == Dialect::postgres ? " FOR UPDATE" : "";
}

std::string encode_text_array(const std::vector<std::string>& items) {
  boost::json::array array;
  for (const auto& item : items) array.emplace_back(item);
  return json::serialize(array);
}

std::vector<std::string> decode_text_array(std::string_view json) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  const auto value = boost::json::parse(json, ec);
  if (ec || !value.is_array()) return out;
  for (const auto& item : value.as_array())
    if (item.is_string()) out.emplace_back(item.as_string());
  return out;
}

std::string prefix_pattern(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

std::string contains_pattern(std::string_view text) {
  return "%" + prefix_pattern(text);
}

}  // namespace karma::db
