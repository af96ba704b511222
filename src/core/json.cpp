#include "core/json.hpp"

#include "core/app_error.hpp"
#include "core/clock.hpp"
#include "core/validation.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace karma::json {

namespace bj = boost::json;

void append_quoted_or_null(std::string& out, const std::optional<std::string>& text) {
  if (text)
    append_quoted(out, *text);
  else
    out += "null";
}

void append_string_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    append_quoted(out, items[i]);
  }
  out += ']';
}

void append_number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  // Shortest round-trip form ("12.5", "8"), not Boost 1.81's "1.25E1".
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, ec == std::errc() ? end : buf);
}

namespace {

// True when one of the 8 bytes in `word` is a control character, '"' or '\\': the bytes JSON
// strings must escape. Checking a word at a time keeps the common plain run cheap.
// Bytes of 0x80 and above are not plain either: they are checked to be well-formed UTF-8.
bool needs_escape(std::uint64_t word) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  const std::uint64_t below_space = (word - ones * 0x20) & ~word & highs;
  return (below_space | (word & highs) | has_zero(word ^ (ones * '"')) |
          has_zero(word ^ (ones * '\\'))) != 0;
}

}  // namespace

// Escapes into `out` directly: one allocation per response, not one per string. Bytes that are
// not well-formed UTF-8 become U+FFFD, so every response is valid JSON text whatever it echoes.
void append_quoted(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t plain_from = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if (!needs_escape(word)) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (const std::size_t n = utf8_sequence(s, i)) {
        i += n;
        continue;
      }
      out.append(s.data() + plain_from, i - plain_from);
      out += "\\ufffd";
      plain_from = ++i;
      continue;
    }
    ++i;
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + plain_from, i - 1 - plain_from);
    plain_from = i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
  }
  out.append(s.data() + plain_from, s.size() - plain_from);
  out.push_back('"');
}

namespace {

void append(std::string& out, const bj::value& v);

void append_array(std::string& out, const bj::array& array) {
  out += '[';
  bool first = true;
  for (const auto& item : array) {
    if (!first) out += ',';
    first = false;
    append(out, item);
  }
  out += ']';
}

void append_object(std::string& out, const bj::object& object) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : object) {
    if (!first) out += ',';
    first = false;
    append_quoted(out, key);
    out += ':';
    append(out, value);
  }
  out += '}';
}

void append(std::string& out, const bj::value& v) {
  switch (v.kind()) {
    case bj::kind::null:
      out += "null";
      return;
    case bj::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case bj::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case bj::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case bj::kind::double_:
      append_number(out, v.get_double());
      return;
    case bj::kind::string:
      append_quoted(out, v.get_string());
      return;
    case bj::kind::array:
      append_array(out, v.get_array());
      return;
    case bj::kind::object:
      append_object(out, v.get_object());
      return;
  }
}

}  // namespace

std::string serialize(const bj::value& v) {
  std::string out;
  append(out, v);
  return out;
}

std::string serialize(const bj::object& object) {
  std::string out;
  append_object(out, object);
  return out;
}

std::string serialize(const bj::array& array) {
  std::string out;
  append_array(out, array);
  return out;
}

namespace {

constexpr std::string_view kSuccessOpen = "{\"success\":true,\"data\":";

std::string close_success(std::string out) {
  out += ",\"timestamp\":";
  out += std::to_string(now_ms());
  out += '}';
  return out;
}

}  // namespace

std::string success_envelope(const bj::value& data) {
  std::string out(kSuccessOpen);
  append(out, data);
  return close_success(std::move(out));
}

std::string success_envelope_text(std::string_view data_json) {
  std::string out;
  out.reserve(kSuccessOpen.size() + data_json.size() + 32);
  out += kSuccessOpen;
  out += data_json;
  return close_success(std::move(out));
}

std::string error_envelope(const AppError& error) {
  bj::object err{{"code", code_name(error.code())}, {"message", error.what()}};
  if (!error.details().is_null()) err["details"] = error.details();
  bj::object body{{"success", false}, {"error", std::move(err)}, {"timestamp", now_ms()}};
  return json::serialize(body);
}

namespace {

// The first string (or key) in `value` no store can take (a NUL: PostgreSQL's TEXT and JSONB
// refuse it) or number that overflowed to infinity ("1e309"): what is wrong, with its place
// written into `path` as validation details name fields ("metrics.cpuUsage", "tags[2]"); null
// when all is well. Boost.JSON has already refused malformed UTF-8. The path is only built on
// the way out of a failure: this runs on every JSON body.
const char* unstorable(const bj::value& value, std::string& path) {
  switch (value.kind()) {
    case bj::kind::string:
      return value.get_string().find('\0') == bj::string::npos ? nullptr
                                                               : "must not contain NUL characters";
    case bj::kind::double_:
      return std::isfinite(value.get_double()) ? nullptr : "must be a finite number";
    case bj::kind::array: {
      std::size_t index = 0;
      for (const auto& item : value.get_array()) {
        if (const char* problem = unstorable(item, path)) {
          const bool member = !path.empty() && path.front() != '[';
          path = "[" + std::to_string(index) + "]" + (member ? "." : "") + path;
          return problem;
        }
        ++index;
      }
      return nullptr;
    }
    case bj::kind::object:
      for (const auto& [key, item] : value.get_object()) {
        // A NUL in a key is reported at the object holding it.
        if (key.find('\0') != bj::string_view::npos) return "must not contain NUL in field names";
        if (const char* problem = unstorable(item, path)) {
          const bool member = !path.empty() && path.front() != '[';
          path = std::string(key) + (member ? "." : "") + path;
          return problem;
        }
      }
      return nullptr;
    default:
      return nullptr;
  }
}

}  // namespace

std::string string_member(const bj::object& object, std::string_view key) {
  const auto* v = object.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bj::object parse_object(std::string_view body) {
  if (body.empty()) {
    throw AppError(ErrorCode::validation, "Request body must be a JSON object");
  }
  boost::system::error_code ec;
  bj::parse_options options;
  options.max_depth = 64;
  bj::value value = bj::parse(body, ec, {}, options);
  if (ec) {
    throw AppError(ErrorCode::validation, "Malformed JSON body",
                   bj::object{{"reason", ec.message()}});
  }
  if (!value.is_object()) {
    throw AppError(ErrorCode::validation, "Request body must be a JSON object");
  }
  std::string path;
  if (const char* problem = unstorable(value, path)) {
    if (path.empty()) path = "body";
    throw AppError::invalid(path, problem);
  }
  return std::move(value.as_object());
}

}  // namespace karma::json
