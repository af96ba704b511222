#include "core/validation.hpp"

#include "core/app_error.hpp"
#include "core/json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

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
  if (v.is_string() && v.as_string().size() <= 64 && storable_text(v.as_string())) return v;
  if (v.is_number() || v.is_bool()) return v;
  return bj::string(json_kind(v));
}

// A query parameter as echoed back: at most 64 bytes of it, and only when it is text.
bj::value received_text(std::string_view text) {
  if (!storable_text(text)) return "invalid text";
  return bj::string(utf8_prefix(text, 64));
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

std::string JsonFields::path(std::string_view name) const {
  return prefix_.empty() ? std::string(name) : prefix_ + "." + std::string(name);
}

void JsonFields::reject(std::string_view name, std::string message, bj::value received) {
  violations_.add({path(name), std::move(message), nullptr,
                   received.is_null() ? bj::value() : received_of(received)});
}

std::optional<double> JsonFields::number(std::string_view name, double min, double max,
                                         bool required) {
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({path(name), "is required", "number"});
    return std::nullopt;
  }
  if (!v->is_number()) {
    violations_.add({path(name), "must be a number", "number", json_kind(*v)});
    return std::nullopt;
  }
  const double d = v->to_number<double>();
  if (!(d >= min && d <= max)) {
    violations_.add({path(name),
                     "must be between " + json::serialize(bj::value(min)) + " and " +
                         json::serialize(bj::value(max)),
                     bj::object{{"min", min}, {"max", max}}, d});
    return std::nullopt;
  }
  return d;
}

const bj::object* JsonFields::object(std::string_view name, bool required) {
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({path(name), "is required", "object"});
    return nullptr;
  }
  if (!v->is_object()) {
    violations_.add({path(name), "must be an object", "object", json_kind(*v)});
    return nullptr;
  }
  return &v->as_object();
}

JsonFields JsonFields::nested(std::string_view name, const bj::object& inner) const {
  return JsonFields(inner, violations_, path(name));
}

std::optional<std::vector<std::string>> JsonFields::string_array(std::string_view name,
                                                                 std::size_t max_items,
                                                                 const StringRule& rule,
                                                                 bool required) {
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({path(name), "is required", "array"});
    return std::nullopt;
  }
  if (!v->is_array()) {
    violations_.add({path(name), "must be an array of strings", "array", json_kind(*v)});
    return std::nullopt;
  }
  const auto& items = v->as_array();
  if (items.size() > max_items) {
    violations_.add({path(name), "must have at most " + std::to_string(max_items) + " items",
                     bj::object{{"maxItems", max_items}},
                     static_cast<std::uint64_t>(items.size())});
    return std::nullopt;
  }
  std::vector<std::string> out;
  bj::object wrapper;
  for (std::size_t i = 0; i < items.size(); ++i) {
    wrapper["item"] = items[i];
    Violations local;
    JsonFields item(wrapper, local);
    auto text = item.string("item", rule, true);
    if (!text) {
      violations_.add({path(name) + "[" + std::to_string(i) + "]",
                       "each item must be a string of " + std::to_string(rule.min_chars) + ".." +
                           std::to_string(rule.max_chars) + " characters",
                       nullptr, received_of(items[i])});
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), *text) == out.end()) out.push_back(std::move(*text));
  }
  return out;
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
    if (required) violations_.add({path(name), "is required", "string"});
    return std::nullopt;
  }
  if (!v->is_string()) {
    violations_.add({path(name), "must be a string", "string", json_kind(*v)});
    return std::nullopt;
  }
  std::string_view text = v->as_string();
  if (rule.trim) text = trim(text);
  const std::size_t length = utf8_length(text);
  if (length < rule.min_chars || length > rule.max_chars) {
    violations_.add({path(name),
                     "must be " + std::to_string(rule.min_chars) + ".." +
                         std::to_string(rule.max_chars) + " characters long",
                     bj::object{{"minLength", rule.min_chars}, {"maxLength", rule.max_chars}},
                     static_cast<std::uint64_t>(length)});
    return std::nullopt;
  }
  if (text.find('\0') != std::string_view::npos) {
    violations_.add({path(name), "must not contain NUL characters"});
    return std::nullopt;
  }
  if (rule.check) {
    std::string problem = rule.check(text);
    if (!problem.empty()) {
      violations_.add({path(name), std::move(problem), nullptr, received_of(*v)});
      return std::nullopt;
    }
  }
  return std::string(text);
}

std::optional<bool> JsonFields::boolean(std::string_view name, bool required) {
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({path(name), "is required", "boolean"});
    return std::nullopt;
  }
  if (!v->is_bool()) {
    violations_.add({path(name), "must be a boolean", "boolean", json_kind(*v)});
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::int64_t> JsonFields::integer(std::string_view name, std::int64_t min,
                                                std::int64_t max, bool required) {
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({path(name), "is required", "integer"});
    return std::nullopt;
  }
  std::optional<std::int64_t> n;
  if (v->is_int64())
    n = v->as_int64();
  else if (v->is_uint64() && v->as_uint64() <= std::uint64_t(INT64_MAX))
    n = static_cast<std::int64_t>(v->as_uint64());
  else if (v->is_double()) {
    // A whole double ("1e3") within int64's range; casting one outside it is undefined
    // (found by fuzzing with "timeoutMs": 1e30).
    const double d = v->as_double();
    if (d >= -9.2e18 && d <= 9.2e18 && std::trunc(d) == d) n = static_cast<std::int64_t>(d);
  }
  if (!n) {
    violations_.add({path(name), "must be an integer", "integer", received_of(*v)});
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    violations_.add({path(name),
                     "must be between " + std::to_string(min) + " and " + std::to_string(max),
                     bj::object{{"min", min}, {"max", max}}, *n});
    return std::nullopt;
  }
  return n;
}

std::string join(Choices items, std::string_view separator) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::optional<std::string> JsonFields::one_of(std::string_view name, Choices allowed,
                                              bool required) {
  bj::array expected;
  for (auto a : allowed) expected.emplace_back(a);
  const bj::value* v = get(name);
  if (!v) {
    if (required) violations_.add({path(name), "is required", std::move(expected)});
    return std::nullopt;
  }
  if (v->is_string()) {
    for (auto a : allowed) {
      if (v->as_string() == a) return std::string(a);
    }
  }
  violations_.add(
      {path(name), "must be one of the allowed values", std::move(expected), received_of(*v)});
  return std::nullopt;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::size_t utf8_sequence(std::string_view s, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  std::size_t length;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (at + length > s.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
  return length;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool storable_text(std::string_view s) {
  return s.find('\0') == std::string_view::npos && valid_utf8(s);
}

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

void require_storable(std::string_view field, std::string_view text) {
  if (storable_text(text)) return;
  throw AppError::invalid(field, "must be UTF-8 text without NUL characters");
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_list(std::string_view text, char separator) {
  std::vector<std::string_view> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    if (const std::string_view item = trim(text.substr(start, end - start)); !item.empty())
      items.push_back(item);
    start = end + 1;
  }
  return items;
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

namespace karma {

std::optional<std::string_view> QueryFields::raw(std::string_view name) const {
  for (const auto& [key, value] : params_)
    if (key == name) return std::string_view(value);
  return std::nullopt;
}

std::optional<std::int64_t> QueryFields::optional_integer(std::string_view name, std::int64_t min,
                                                          std::int64_t max) {
  const auto text = raw(name);
  if (!text) return std::nullopt;
  const auto parsed = parse_int64(*text);
  if (!parsed) {
    violations_.add({std::string(name), "must be an integer", "integer", received_text(*text)});
    return std::nullopt;
  }
  const std::int64_t value = *parsed;
  if (value < min || value > max) {
    violations_.add({std::string(name),
                     "must be between " + std::to_string(min) + " and " + std::to_string(max),
                     bj::object{{"min", min}, {"max", max}}, value});
    return std::nullopt;
  }
  return value;
}

std::int64_t QueryFields::integer(std::string_view name, std::int64_t min, std::int64_t max,
                                  std::int64_t fallback, std::string_view alias) {
  std::string_view key = name;
  if (!raw(name) && !alias.empty() && raw(alias)) key = alias;
  return optional_integer(key, min, max).value_or(fallback);
}

std::optional<std::string> QueryFields::optional_one_of(std::string_view name, Choices allowed) {
  const auto text = raw(name);
  if (!text) return std::nullopt;
  for (auto a : allowed)
    if (*text == a) return std::string(a);
  bj::array expected;
  for (auto a : allowed) expected.emplace_back(a);
  violations_.add({std::string(name), "must be one of the allowed values", std::move(expected),
                   received_text(*text)});
  return std::nullopt;
}

std::string QueryFields::one_of(std::string_view name, Choices allowed, std::string_view fallback) {
  return optional_one_of(name, allowed).value_or(std::string(fallback));
}

std::optional<std::string> QueryFields::string(std::string_view name, std::size_t max_chars) {
  const auto text = raw(name);
  if (!text) return std::nullopt;
  if (utf8_length(*text) > max_chars || text->find('\0') != std::string_view::npos) {
    violations_.add({std::string(name),
                     "must be at most " + std::to_string(max_chars) + " characters",
                     bj::object{{"maxLength", max_chars}}});
    return std::nullopt;
  }
  return std::string(*text);
}

std::optional<bool> QueryFields::boolean(std::string_view name) {
  const auto text = raw(name);
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "1") return true;
  if (*text == "false" || *text == "0") return false;
  violations_.add({std::string(name), "must be true or false", bj::array{"true", "false"},
                   received_text(*text)});
  return std::nullopt;
}

Paging read_paging(QueryFields& query) {
  Paging paging;
  paging.page = query.integer("page", 1, 1'000'000, 1);
  paging.page_size = query.integer("pageSize", 1, 100, 20, "page_size");
  return paging;
}

Paging parse_paging(const QueryFields::Params& params) {
  Violations violations;
  QueryFields query(params, violations);
  const Paging paging = read_paging(query);
  violations.throw_if_any();
  return paging;
}

}  // namespace karma
