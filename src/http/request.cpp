#include "http/request.hpp"

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/validation.hpp"

namespace karma::http {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    const std::size_t comma = if_none_match.find(',');
    std::string_view tag = trim(if_none_match.substr(0, comma));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view find_header(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

std::string_view Request::header(std::string_view name) const {
  return find_header(headers, name);
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return std::string_view(value);
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [key, value] : path_params)
    if (key == name) return value;
  return {};
}

std::string Request::id_param(std::string_view name, std::string_view what) const {
  std::string id = ascii_lower(param(name));  // the canonical form ids are stored in
  if (!crypto::is_uuid(id)) throw AppError::not_found(std::string(what));
  return id;
}

const Caller& Request::require_caller() const {
  if (!caller) throw AppError::unauthorized();
  return *caller;
}

boost::json::object Request::json_body() const {
  return json::parse_object(body);
}

std::string_view Request::credentials(std::string_view scheme) const {
  std::string_view value = header("authorization");
  if (value.size() <= scheme.size() + 1 || !iequals(value.substr(0, scheme.size()), scheme) ||
      value[scheme.size()] != ' ')
    return {};
  value.remove_prefix(scheme.size() + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

Response Response::json(int status, const boost::json::value& data) {
  Response r;
  r.status = status;
  r.body = json::success_envelope(data);
  return r;
}

Response Response::json_text(int status, std::string_view data_json) {
  Response r;
  r.status = status;
  r.body = json::success_envelope_text(data_json);
  return r;
}

Response Response::error(const AppError& error) {
  Response r;
  r.status = http_status(error.code());
  r.body = json::error_envelope(error);
  if (error.retry_after() > 0) r.set_header("retry-after", std::to_string(error.retry_after()));
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

Response Response::shared(int status, std::shared_ptr<const std::string> body,
                          std::string content_type) {
  Response r;
  r.status = status;
  r.shared_body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

Response Response::not_modified(std::string etag) {
  Response r;
  r.status = 304;
  r.content_type.clear();
  r.set_header("etag", std::move(etag));
  return r;
}

Response Response::event_stream(EventStreamStart start) {
  Response r;
  r.content_type = "text/event-stream";
  r.events = std::move(start);
  return r;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& h : headers) {
    if (iequals(h.name, name)) {
      h.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
}

std::string_view Response::header(std::string_view name) const {
  return find_header(headers, name);
}

}  // namespace karma::http
