#pragma once
// Field-by-field validation of JSON bodies and query strings. Every violation names its field;
// one violation becomes `details: {field, message, expected?, received?}`, several become
// `details: {fields: [...]}`.
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
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
  // Throws VALIDATION_ERROR describing every violation, if there is any.
  void throw_if_any() const;

 private:
  std::vector<Violation> list_;
};

struct StringRule {
  std::size_t min_chars = 0;  // counted in code points
  std::size_t max_chars = 255;
  bool trim = true;
  // Extra check: returns an error message, or empty when the value is fine.
  std::function<std::string(std::string_view)> check = {};
};

// Reads fields of a JSON object body. Absent and null fields count as missing.
class JsonFields {
 public:
  JsonFields(const boost::json::object& object, Violations& violations)
      : object_(object), violations_(violations) {}

  bool present(std::string_view name) const;

  std::optional<std::string> string(std::string_view name, const StringRule& rule, bool required);
  std::optional<bool> boolean(std::string_view name, bool required);
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max,
                                      bool required);
  std::optional<std::string> one_of(std::string_view name,
                                    std::initializer_list<std::string_view> allowed, bool required);

 private:
  const boost::json::value* get(std::string_view name) const;
  const boost::json::object& object_;
  Violations& violations_;
};

std::size_t utf8_length(std::string_view s);
std::string_view trim(std::string_view s);
// ASCII letters lowercased, everything else kept (header names, emails, hex ids).
std::string ascii_lower(std::string_view s);
// A light syntactic email check: one '@', non-empty local part, dotted domain, no spaces.
bool looks_like_email(std::string_view s);
// Short description of a JSON value's type for `received` ("number", "string" ...).
const char* json_kind(const boost::json::value& v);

}  // namespace karma
