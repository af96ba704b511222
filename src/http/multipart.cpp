#include "http/multipart.hpp"

#include <utility>
#include <vector>

#include "core/app_error.hpp"
#include "core/validation.hpp"

namespace karma::http {
namespace {

[[noreturn]] void malformed(std::string message) {
  throw AppError(ErrorCode::validation, "Malformed multipart body: " + std::move(message));
}

// "type; a=b; c=\"d\"" → the type and the parameters (names lowercase), or nullopt when a
// quoted string is not closed.
struct HeaderValue {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  const std::string* param(std::string_view name) const {
    for (const auto& [key, value] : params)
      if (key == name) return &value;
    return nullptr;
  }
};

std::optional<HeaderValue> parse_header_value(std::string_view text) {
  HeaderValue out;
  std::size_t pos = text.find(';');
  out.type = ascii_lower(trim(text.substr(0, pos)));
  while (pos != std::string_view::npos && pos < text.size()) {
    ++pos;  // past ';'
    const std::size_t eq = text.find('=', pos);
    if (eq == std::string_view::npos) break;
    std::string key = ascii_lower(trim(text.substr(pos, eq - pos)));
    std::size_t i = eq + 1;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      bool closed = false;
      for (++i; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
          value.push_back(text[++i]);
        } else if (c == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return std::nullopt;
      pos = text.find(';', i);
    } else {
      pos = text.find(';', i);
      value = std::string(trim(text.substr(i, pos == std::string_view::npos ? pos : pos - i)));
    }
    out.params.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 5987 ext-value: "UTF-8''caf%C3%A9.txt" → "café.txt"; nullopt for other charsets or bad
// escapes.
std::optional<std::string> decode_ext_value(std::string_view value) {
  const std::size_t first = value.find('\'');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = value.find('\'', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (ascii_lower(value.substr(0, first)) != "utf-8") return std::nullopt;
  std::string out;
  for (std::size_t i = second + 1; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
      continue;
    }
    if (i + 2 >= value.size()) return std::nullopt;
    const int hi = hex_value(value[i + 1]);
    const int lo = hex_value(value[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool boundary_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

PartHeaders parse_part_headers(std::string_view block) {
  PartHeaders headers;
  bool disposition_seen = false;
  while (!block.empty()) {
    const std::size_t end = block.find("\r\n");
    const std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view{} : block.substr(end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) malformed("bad part header line");
    const std::string name = ascii_lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      const auto parsed = parse_header_value(value);
      if (!parsed || parsed->type != "form-data") malformed("part is not form-data");
      const std::string* field = parsed->param("name");
      if (!field) malformed("part has no name");
      headers.name = *field;
      if (const std::string* ext = parsed->param("filename*"))
        headers.filename = decode_ext_value(*ext);
      if (!headers.filename) {
        if (const std::string* plain = parsed->param("filename")) headers.filename = *plain;
      }
      disposition_seen = true;
    } else if (name == "content-type") {
      headers.content_type = std::string(value);
    }
  }
  if (!disposition_seen) malformed("part has no Content-Disposition");
  return headers;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const auto parsed = parse_header_value(content_type);
  if (!parsed || parsed->type != "multipart/form-data") return std::nullopt;
  const std::string* boundary = parsed->param("boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70 || boundary->back() == ' ')
    return std::nullopt;
  for (char c : *boundary)
    if (!boundary_char(c)) return std::nullopt;
  return *boundary;
}

MultipartParser::MultipartParser(std::string_view boundary, MultipartSink& sink,
                                 MultipartLimits limits)
    : first_delimiter_("--" + std::string(boundary)),
      delimiter_("\r\n" + first_delimiter_),
      sink_(sink),
      limits_(limits) {}

std::size_t MultipartParser::min_buffer() const {
  return limits_.max_header_bytes + delimiter_.size() + 8;
}

std::size_t MultipartParser::consume(std::string_view data) {
  std::size_t used = 0;
  for (;;) {
    const std::string_view rest = data.substr(used);
    std::size_t step = 0;
    switch (state_) {
      case State::preamble:
        step = consume_preamble(rest);
        break;
      case State::after_delimiter:
        step = consume_after_delimiter(rest);
        break;
      case State::headers:
        step = consume_headers(rest);
        break;
      case State::content:
        step = consume_content(rest);
        break;
      case State::epilogue:
        return data.size();  // ignored, as RFC 2046 says
    }
    if (step == 0) return used;
    used += step;
  }
}

void MultipartParser::finish() const {
  if (state_ != State::epilogue) malformed("body ended before the closing boundary");
}

std::size_t MultipartParser::consume_preamble(std::string_view data) {
  // The first delimiter may open the body directly or follow a preamble line.
  std::size_t at = data.find(first_delimiter_);
  while (at != std::string_view::npos && at != 0 && !(at >= 2 && data.substr(at - 2, 2) == "\r\n"))
    at = data.find(first_delimiter_, at + 1);
  if (at == std::string_view::npos) {
    const std::size_t keep = std::min(data.size(), delimiter_.size());
    const std::size_t skipped = data.size() - keep;
    preamble_seen_ += skipped;
    if (preamble_seen_ > limits_.max_preamble_bytes) malformed("no boundary found");
    return skipped;
  }
  preamble_seen_ += at;
  if (preamble_seen_ > limits_.max_preamble_bytes) malformed("no boundary found");
  state_ = State::after_delimiter;
  return at + first_delimiter_.size();
}

std::size_t MultipartParser::consume_after_delimiter(std::string_view data) {
  // "--" closes the body; otherwise optional padding, then CRLF and the next part's headers.
  std::size_t i = 0;
  if (data.size() < 2) return 0;
  if (data.substr(0, 2) == "--") {
    state_ = State::epilogue;
    return 2;
  }
  while (i < data.size() && (data[i] == ' ' || data[i] == '\t')) ++i;
  if (i + 2 > data.size()) {
    if (i > 64) malformed("bad delimiter line");
    return 0;
  }
  if (data.substr(i, 2) != "\r\n") malformed("bad delimiter line");
  if (++parts_ > limits_.max_parts)
    malformed("more than " + std::to_string(limits_.max_parts) + " parts");
  state_ = State::headers;
  return i + 2;
}

std::size_t MultipartParser::consume_headers(std::string_view data) {
  if (data.starts_with("\r\n")) {  // a part without headers
    malformed("part has no Content-Disposition");
  }
  const std::size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (data.size() > limits_.max_header_bytes) malformed("part headers too large");
    return 0;
  }
  if (end > limits_.max_header_bytes) malformed("part headers too large");
  sink_.on_part_begin(parse_part_headers(data.substr(0, end)));
  state_ = State::content;
  return end + 4;
}

std::size_t MultipartParser::consume_content(std::string_view data) {
  const std::size_t at = data.find(delimiter_);
  if (at != std::string_view::npos) {
    if (at > 0) sink_.on_part_data(data.substr(0, at));
    sink_.on_part_end();
    state_ = State::after_delimiter;
    return at + delimiter_.size();
  }
  // Everything except a tail that may be the start of a delimiter is content.
  if (data.size() < delimiter_.size()) return 0;
  const std::size_t safe = data.size() - (delimiter_.size() - 1);
  sink_.on_part_data(data.substr(0, safe));
  return safe;
}

}  // namespace karma::http
