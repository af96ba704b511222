#include "core/json.hpp"

#include "core/app_error.hpp"
#include "core/clock.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace karma::json {

namespace bj = boost::json;

namespace {

// True when one of the 8 bytes in `word` is a control character, '"' or '\\': the bytes JSON
// strings must escape. Checking a word at a time keeps the common plain run cheap.
bool needs_escape(std::uint64_t word) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  const std::uint64_t below_space = (word - ones * 0x20) & ~word & highs;
  return (below_space | has_zero(word ^ (ones * '"')) | has_zero(word ^ (ones * '\\'))) != 0;
}

}  // namespace

// Escapes into `out` directly: one allocation per response, not one per string.
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
    const unsigned char c = static_cast<unsigned char>(s[i++]);
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
    case bj::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      // Shortest round-trip form ("12.5", "8"), not Boost 1.81's "1.25E1".
      char buf[32];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, ec == std::errc() ? end : buf);
      return;
    }
    case bj::kind::string:
      append_quoted(out, v.get_string());
      return;
    case bj::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append(out, item);
      }
      out += ']';
      return;
    }
    case bj::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_quoted(out, key);
        out += ':';
        append(out, value);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string serialize(const bj::value& v) {
  std::string out;
  append(out, v);
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
  return serialize(body);
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
  return std::move(value.as_object());
}

}  // namespace karma::json
