#pragma once
// Field-by-field validation of JSON bodies and query strings. Every violation names its field;
// one violation becomes `details: {field, message, expected?, received?}`, several become
// `details: {fields: [...]}`.
#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace karma {

struct Violation {
  std::string field;
  std::string message;
  boost::json::value expected = nullptr;
  boost::json::value received = nullptr;
};

class Violations {
 public:
  void add(Violation v) { list_.push_back(std::move(v)); }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  // Throws VALIDATION_ERROR describing every violation, if there is any.
  void throw_if_any() const;

 private:
  std::vector<Violation> list_;
};

// One enum's string table (a constexpr std::array of names): what parsing accepts, what
// validation messages list, what the OpenAPI schema enumerates.
using Choices = std::span<const std::string_view>;
inline constexpr std::array<std::string_view, 2> kSortOrders{"asc", "desc"};
inline constexpr std::array<std::string_view, 2> kBooleanTexts{"true", "false"};
// "a, b, c" for messages.
std::string join(Choices items, std::string_view separator);

struct StringRule {
  std::size_t min_chars = 0;  // counted in code points
  std::size_t max_chars = 255;
  bool trim = true;
  // Extra check: returns an error message, or empty when the value is fine.
  std::function<std::string(std::string_view)> check = {};
};

// Reads fields of a JSON object body. Absent and null fields count as missing. Fields of a
// nested object are reported with a dotted prefix ("metrics.cpuUsage").
class JsonFields {
 public:
  JsonFields(const boost::json::object& object, Violations& violations, std::string prefix = {})
      : object_(object), violations_(violations), prefix_(std::move(prefix)) {}

  bool present(std::string_view name) const;

  std::optional<std::string> string(std::string_view name, const StringRule& rule, bool required);
  std::optional<bool> boolean(std::string_view name, bool required);
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max,
                                      bool required);
  std::optional<std::string> one_of(std::string_view name, Choices allowed, bool required);
  std::optional<double> number(std::string_view name, double min, double max, bool required);
  // A nested object; read its fields with nested(name, ...).
  const boost::json::object* object(std::string_view name, bool required);
  JsonFields nested(std::string_view name, const boost::json::object& inner) const;
  // An array of strings, each checked by `rule`; duplicates are dropped, order kept.
  std::optional<std::vector<std::string>> string_array(std::string_view name, std::size_t max_items,
                                                       const StringRule& rule, bool required);
  // Records a violation of `name` found by the caller's own check.
  void reject(std::string_view name, std::string message, boost::json::value received = nullptr);

 private:
  const boost::json::value* get(std::string_view name) const;
  std::string path(std::string_view name) const;
  const boost::json::object& object_;
  Violations& violations_;
  std::string prefix_;
};

// Reads query-string parameters; a malformed one is a violation, an absent one the default.
class QueryFields {
 public:
  using Params = std::vector<std::pair<std::string, std::string>>;
  QueryFields(const Params& params, Violations& violations)
      : params_(params), violations_(violations) {}

  std::optional<std::string_view> raw(std::string_view name) const;
  std::int64_t integer(std::string_view name, std::int64_t min, std::int64_t max,
                       std::int64_t fallback, std::string_view alias = {});
  std::optional<std::int64_t> optional_integer(std::string_view name, std::int64_t min,
                                               std::int64_t max);
  std::string one_of(std::string_view name, Choices allowed, std::string_view fallback);
  std::optional<std::string> optional_one_of(std::string_view name, Choices allowed);
  std::optional<std::string> string(std::string_view name, std::size_t max_chars);
  std::optional<bool> boolean(std::string_view name);

 private:
  const Params& params_;
  Violations& violations_;
};

// page (>= 1, default 1) and pageSize (1..100, default 20; page_size accepted too).
struct Paging {
  std::int64_t page = 1;
  std::int64_t page_size = 20;
  std::int64_t offset() const { return (page - 1) * page_size; }
};
Paging read_paging(QueryFields& query);
// The paging of a list that takes no other parameter; VALIDATION_ERROR when malformed.
Paging parse_paging(const QueryFields::Params& params);

std::size_t utf8_length(std::string_view s);
// The length of the well-formed UTF-8 sequence starting at s[at] (1..4), 0 when it is not one
// (overlong forms, surrogates, code points past U+10FFFF, cut-off sequences).
std::size_t utf8_sequence(std::string_view s, std::size_t at);
bool valid_utf8(std::string_view s);
// Text every store takes: well-formed UTF-8 without NUL (PostgreSQL refuses both).
bool storable_text(std::string_view s);
// The longest prefix of `s` of at most `max_bytes` that does not cut a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);
// Throws VALIDATION_ERROR naming `field` unless `text` is storable.
void require_storable(std::string_view field, std::string_view text);
std::string_view trim(std::string_view s);
// `text` as a whole decimal integer ("12"; not "", "1e3", "12x" or out of range).
std::optional<std::int64_t> parse_int64(std::string_view text);
// The items of a `separator`-separated list, trimmed, empty ones left out ("a, b,,c").
std::vector<std::string_view> split_list(std::string_view text, char separator = ',');
// ASCII letters lowercased, everything else kept (header names, emails, hex ids).
std::string ascii_lower(std::string_view s);
// A light syntactic email check: one '@', non-empty local part, dotted domain, no spaces.
bool looks_like_email(std::string_view s);
// Short description of a JSON value's type for `received` ("number", "string" ...).
const char* json_kind(const boost::json::value& v);

}  // namespace karma
