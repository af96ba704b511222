#include "http/event_stream.hpp"

namespace karma::http {
namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  for (char c : value) out += (c == '\r' || c == '\n') ? ' ' : c;
  out += '\n';
}

}  // namespace

void append_event(std::string& out, std::string_view data, std::string_view event,
                  std::string_view id) {
  if (!event.empty()) append_field(out, "event", event);
  if (!id.empty()) append_field(out, "id", id);
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out += data.substr(start, end == std::string_view::npos ? end : end - start);
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n' ? 2 : 1);
  }
  out += '\n';
}

}  // namespace karma::http
