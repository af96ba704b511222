#include "http/router.hpp"

#include "core/log.hpp"
#include "core/validation.hpp"

namespace karma::http {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// Query strings are percent-decoded bytes: those no store can take (malformed UTF-8, NUL) are
// refused before any handler sees them, naming the parameter.
void require_storable_query(const Request& request) {
  for (const auto& [key, value] : request.query) {
    require_storable(storable_text(key) ? std::string_view(key) : "query", key);
    require_storable(key, value);
  }
}

}  // namespace

void Router::admit(const Route& route, Request& request) const {
  const auto user = [&] {
    if (!authenticator_) throw AppError(ErrorCode::internal, "no authenticator configured");
    request.caller = authenticator_(request);
  };
  const auto device_token = [&] {
    std::string_view token = request.credentials("Device");
    if (token.empty() && route.websocket) token = request.query_param("token").value_or("");
    request.device_token = std::string(token);
    return !token.empty();
  };
  switch (route.options.guard) {
    case Guard::user:
      user();
      break;
    case Guard::device:
      if (!device_token()) throw AppError::unauthorized("Device token required");
      break;
    case Guard::user_or_device:
      if (!device_token()) user();
      break;
    case Guard::signature:
      if (!route.options.signature) throw AppError(ErrorCode::internal, "no signature check");
      route.options.signature(request);
      break;
    case Guard::open:
      break;
  }
  require_storable_query(request);
}

// The guard, then `open` (a WebSocket session or a body stream): what it opened, or null with
// `refusal` set to the error response.
template <class Open>
auto Router::open_guarded(const Route& route, Request& request, Response& refusal, Open open) const
    -> decltype(open()) {
  try {
    admit(route, request);
    auto opened = open();
    if (!opened) throw AppError(ErrorCode::internal, "route handler opened nothing");
    return opened;
  } catch (...) {
    refusal = error_response(std::current_exception(), request);
    return nullptr;
  }
}

std::string_view canonical_path(std::string_view path, std::string& storage) {
  if (path.starts_with("/api/v1") && (path.size() == 7 || path[7] == '/')) {
    storage = "/api";
    storage.append(path.substr(7));
    path = storage;
  }
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

Route& Router::add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  auto route = std::make_unique<Route>();
  route->segments = split_path(pattern);
  route->method = std::move(method);
  route->pattern = std::move(pattern);
  route->handler = std::move(handler);
  route->options = std::move(options);
  routes_.push_back(std::move(route));
  return *routes_.back();
}

Match Router::match(std::string_view method, std::string_view raw_path) const {
  std::string storage;
  const std::string_view path = canonical_path(raw_path, storage);
  Match result;
  // Walk the segments in place instead of splitting into strings: this runs on every request.
  for (const auto& route : routes_) {
    std::vector<std::pair<std::string, std::string>> params;
    std::size_t pos = 1;
    bool matched = true;
    for (const auto& segment : route->segments) {
      if (pos > path.size()) {
        matched = false;
        break;
      }
      std::size_t end = path.find('/', pos);
      if (end == std::string_view::npos) end = path.size();
      const std::string_view part = path.substr(pos, end - pos);
      if (!segment.empty() && segment.front() == ':') {
        if (part.empty()) {
          matched = false;
          break;
        }
        params.emplace_back(segment.substr(1), part);
      } else if (segment != part) {
        matched = false;
        break;
      }
      pos = end + 1;
    }
    // The root route ("/", no segments) is the path "/" alone.
    const bool whole = pos > path.size() || (route->segments.empty() && path == "/");
    if (!matched || !whole) continue;
    if (route->method == method) {
      result.route = route.get();
      result.params = std::move(params);
      result.allowed.clear();
      return result;
    }
    if (result.allowed.find(route->method) == std::string::npos) {
      if (!result.allowed.empty()) result.allowed += ", ";
      result.allowed += route->method;
    }
  }
  return result;
}

Route& Router::post_async(std::string pattern, AsyncHandler handler, RouteOptions options) {
  Route& route = add("POST", std::move(pattern), nullptr, std::move(options));
  route.async_handler = std::move(handler);
  return route;
}

Route& Router::post_streaming(std::string pattern, StreamingHandler handler, RouteOptions options) {
  Route& route = add("POST", std::move(pattern), nullptr, std::move(options));
  route.streaming = std::move(handler);
  return route;
}

std::unique_ptr<BodyStream> Router::open_stream(const Route& route, Request& request,
                                                Response& refusal) const {
  return open_guarded(route, request, refusal, [&] { return route.streaming(request); });
}

Route& Router::websocket(std::string pattern, WebSocketHandler handler, RouteOptions options) {
  Route& route = add("GET", std::move(pattern), nullptr, std::move(options));
  route.websocket = std::move(handler);
  return route;
}

std::shared_ptr<WebSocketSession> Router::accept(const Route& route, Request& request,
                                                 Response& refusal) const {
  return open_guarded(route, request, refusal, [&] { return route.websocket(request); });
}

Router::Group Router::group(std::string prefix, RouteOptions defaults) {
  return Group(*this, std::move(prefix), std::move(defaults));
}

Response Router::execute(const Route& route, Request& request) const {
  try {
    // A plain GET of a WebSocket route is a malformed request whoever sends it.
    if (route.websocket)
      throw AppError(ErrorCode::validation, "This endpoint requires a WebSocket upgrade");
    admit(route, request);
    return route.handler(request);
  } catch (...) {
    return error_response(std::current_exception(), request);
  }
}

void Router::execute_async(const Route& route, Request& request, const Responder& respond) const {
  try {
    admit(route, request);
    route.async_handler(request, respond);
  } catch (...) {
    respond(error_response(std::current_exception(), request));
  }
}

Response Router::error_response(const std::exception_ptr& error, const Request& request) const {
  try {
    std::rethrow_exception(error);
  } catch (const AppError& e) {
    return Response::error(e);
  } catch (const std::exception& e) {
    if (translator_) {
      if (auto translated = translator_(e)) {
        log::warn("request failed", {{"requestId", request.request_id}, {"error", e.what()}});
        return Response::error(*translated);
      }
    }
    log::error("unhandled error", {{"requestId", request.request_id},
                                   {"method", request.method},
                                   {"path", request.path},
                                   {"error", e.what()}});
  } catch (...) {
    log::error("unhandled non-standard exception", {{"requestId", request.request_id}});
  }
  return Response::error(AppError(ErrorCode::internal, "Internal server error"));
}

}  // namespace karma::http
