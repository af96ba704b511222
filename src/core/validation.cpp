#include "core/validation.hpp"

#include "core/app_error.hpp"

#include <boost/json/array.hpp>

namespace karma {

namespace bj = boost::json;

namespace {

bj::object violation_json(const Violation& v) {
  bj::object o{{"field", v.field}, {"message", v.message}};
  if (!v.expected.is_null()) o["expected"] = v.expected;
  if (!v.received.is_null()) o["received"] = v.received;
  return o;
}

// Echo short scalars back to the client; never a long string or a whole object.
bj::value received_of(const bj::value& v) {
  if (v.is_string() && v.as_string().size() <= 64) return v;
  if (v.is_number() || v.is_bool()) return v;
  return bj::string(json_kind(v));
}

}  // namespace

void Violations::throw_if_any() const {
  if (list_.empty()) return;
  if (list_.size() == 1) {
    throw AppError(ErrorCode::validation, list_.front().field + ": " + list_.front().message,
                   violation_json(list_.front()));
  }
  bj::array fields;
  for (const auto& v : list_) fields.push_back(violation_json(v));
  throw AppError(ErrorCode::validation,
                 "Request has " + std::to_string(list_.size()) + " invalid fields",
                 bj::object{{"fields", std::move(fields)}});
}

const bj::value* JsonFields::get(std::string_view name) const {
  auto it = object_.find(name);
  if (it == object_.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

bool JsonFields::present(std::string_view name) const {
  return get(name) != nullptr;
}

std::optional<std::string> JsonFields::string(std::string_view name, const StringRule& rule,
                                              bool required) {
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({std::string(name), "is required", "string"});
    return std::nullopt;
  }
  if (!v->is_string()) {
    violations_.add({std::string(name), "must be a string", "string", json_kind(*v)});
    return std::nullopt;
  }
  std::string_view text = v->as_string();
  if (rule.trim) text = trim(text);
  const std::size_t length = utf8_length(text);
  if (length < rule.min_chars || length > rule.max_chars) {
    violations_.add({std::string(name),
                     "must be " + std::to_string(rule.min_chars) + ".." +
                         std::to_string(rule.max_chars) + " characters long",
                     bj::object{{"minLength", rule.min_chars}, {"maxLength", rule.max_chars}},
                     static_cast<std::uint64_t>(length)});
    return std::nullopt;
  }
  if (text.find('\0') != std::string_view::npos) {
    violations_.add({std::string(name), "must not contain NUL characters"});
    return std::nullopt;
  }
  if (rule.check) {
    std::string problem = rule.check(text);
    if (!problem.empty()) {
      violations_.add({std::string(name), std::move(problem), nullptr, received_of(*v)});
      return std::nullopt;
    }
  }
  return std::string(text);
}

std::optional<bool> JsonFields::boolean(std::string_view name, bool required) {
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({std::string(name), "is required", "boolean"});
    return std::nullopt;
  }
  if (!v->is_bool()) {
    violations_.add({std::string(name), "must be a boolean", "boolean", json_kind(*v)});
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::int64_t> JsonFields::integer(std::string_view name, std::int64_t min,
                                                std::int64_t max, bool required) {
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({std::string(name), "is required", "integer"});
    return std::nullopt;
  }
  std::optional<std::int64_t> n;
  if (v->is_int64())
    n = v->as_int64();
  else if (v->is_uint64() && v->as_uint64() <= std::uint64_t(INT64_MAX))
    n = v->as_int64();
  else if (v->is_double() &&
           v->as_double() == static_cast<double>(static_cast<std::int64_t>(v->as_double())))
    n = static_cast<std::int64_t>(v->as_double());
  if (!n) {
    violations_.add({std::string(name), "must be an integer", "integer", received_of(*v)});
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    violations_.add({std::string(name),
                     "must be between " + std::to_string(min) + " and " + std::to_string(max),
                     bj::object{{"min", min}, {"max", max}}, *n});
    return std::nullopt;
  }
  return n;
}

std::optional<std::string> JsonFields::one_of(std::string_view name,
                                              std::initializer_list<std::string_view> allowed,
                                              bool required) {
  bj::array expected;
  for (auto a : allowed) expected.emplace_back(a);
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({std::string(name), "is required", std::move(expected)});
    return std::nullopt;
  }
  if (v->is_string()) {
    for (auto a : allowed) {
      if (v->as_string() == a) return std::string(a);
    }
  }
  violations_.add({std::string(name), "must be one of the allowed values", std::move(expected),
                   received_of(*v)});
  return std::nullopt;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
  return out;
}

bool looks_like_email(std::string_view s) {
  const auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos)
    return false;
  const auto domain = s.substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
  for (unsigned char c : s) {
    if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',') return false;
  }
  return true;
}

const char* json_kind(const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null:
      return "null";
    case bj::kind::bool_:
      return "boolean";
    case bj::kind::int64:
    case bj::kind::uint64:
    case bj::kind::double_:
      return "number";
    case bj::kind::string:
      return "string";
    case bj::kind::array:
      return "array";
    case bj::kind::object:
      return "object";
  }
  return "unknown";
}

}  // namespace karma
