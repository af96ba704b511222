#pragma once
// Our own request/response types: feature code sees these, never Beast.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/caller.hpp"
#include "http/event_stream.hpp"

namespace karma {
class AppError;
}

namespace karma::http {

struct Header {
  std::string name;  // lowercase
  std::string value;
};

class Request {
 public:
  std::string method;                                      // "GET", "POST", ...
  std::string path;                                        // decoded, without the query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::vector<Header> headers;                             // names lowercase
  std::vector<std::pair<std::string, std::string>> path_params;  // from ":name" segments
  std::string body;
  std::string request_id;
  std::string client_ip;
  std::optional<Caller> caller;  // set by the router's user guard
  std::string device_token;      // set by the router's device guard (not yet proven)

  // Case-insensitive; empty when absent.
  std::string_view header(std::string_view name) const;
  std::optional<std::string_view> query_param(std::string_view name) const;
  // A ":name" path parameter; empty when the route has none of that name.
  std::string_view param(std::string_view name) const;
  // A ":name" parameter that must be a UUID: anything else names no resource, so it is
  // NOT_FOUND (never a database error). `what` names the resource in the message.
  std::string id_param(std::string_view name, std::string_view what) const;
  // The authenticated caller; throws UNAUTHORIZED on a public route.
  const Caller& require_caller() const;
  // The body as a JSON object, or VALIDATION_ERROR.
  boost::json::object json_body() const;
  // The token of "Authorization: <scheme> <token>", empty when the scheme differs.
  std::string_view credentials(std::string_view scheme) const;
};

// A response body produced piece by piece (file downloads, archives) instead of held whole.
// read() may block (disk, object storage): the server calls it on its transfer pool.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills up to `size` bytes of `buffer`; 0 at the end. Throwing cuts the response short.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;
  // When set, the body comes from here instead of `body`: `stream_length` bytes exactly, or
  // chunked when the length is unknown.
  std::shared_ptr<BodySource> stream;
  std::optional<std::uint64_t> stream_length;
  // When set, the response is a Server-Sent Events stream (see event_stream.hpp).
  EventStreamStart events;
  // When set, the body is these bytes, held elsewhere (cached assets) and written from there.
  std::shared_ptr<const std::string> shared_body;

  // {"success":true,"data":...,"timestamp":...}
  static Response json(int status, const boost::json::value& data);
  static Response ok(const boost::json::value& data) { return json(200, data); }
  static Response created(const boost::json::value& data) { return json(201, data); }
  // The same envelope around `data_json`, JSON text the handler wrote itself.
  static Response json_text(int status, std::string_view data_json);
  static Response error(const AppError& error);
  static Response text(int status, std::string body, std::string content_type);
  static Response shared(int status, std::shared_ptr<const std::string> body,
                         std::string content_type);
  // 304 with the entity tag the client already holds.
  static Response not_modified(std::string etag);
  // 200 text/event-stream; `start` gets the sink once the head is out.
  static Response event_stream(EventStreamStart start);

  void set_header(std::string name, std::string value);
  std::string_view header(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b);
// Whether an If-None-Match value ("*" or a list of entity tags, weak ones compared weakly,
// RFC 9110 13.1.2) matches `etag`.
bool etag_matches(std::string_view if_none_match, std::string_view etag);
// The value of header `name` (case-insensitive); empty when absent.
std::string_view find_header(const std::vector<Header>& headers, std::string_view name);

}  // namespace karma::http
