#pragma once
// Method + path routing with ":name" parameters. Every route is served under /api and /api/v1.
// Every route declares its guard (a bearer user unless it says otherwise); the router runs it
// before the handler and fails closed.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/app_error.hpp"
#include "http/openapi.hpp"
#include "http/request.hpp"
#include "http/websocket.hpp"

namespace karma::http {

using Handler = std::function<Response(Request&)>;
// Delivers the response of an asynchronous handler; callable once, from any thread.
using Responder = std::function<void(Response)>;
// A handler that hands its work on (e.g. to a group commit) instead of blocking a worker: it
// either throws before handing off or calls the responder exactly once, later. The request
// stays alive until then.
using AsyncHandler = std::function<void(Request&, Responder)>;

// The receiving end of a streamed request body (uploads): the server reads the body in pieces
// and hands them over instead of buffering it. Both calls may block (storage) and run on the
// server's transfer pool. Destroyed without finish() — the client went away, or consume()
// threw — it must undo whatever it started.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Returns how many leading bytes it used; the rest is offered again with more appended.
  virtual std::size_t consume(std::string_view bytes) = 0;
  // The body ended (bytes it did not use are still there): the response.
  virtual Response finish(std::string_view unused) = 0;
};
// Runs on a worker once the headers are in: checks the request and opens the stream, or
// throws to refuse it before the body is read.
using StreamingHandler = std::function<std::unique_ptr<BodyStream>(Request&)>;
// Resolves the user of a bearer token, or throws UNAUTHORIZED.
using Authenticator = std::function<Caller(const Request&)>;
// Checks a signed request (a webhook) over its headers and raw body; throws UNAUTHORIZED.
using SignatureCheck = std::function<void(const Request&)>;

// Who may call a route. A request without the credential its route's guard asks for never
// reaches the handler: 401 UNAUTHORIZED.
enum class Guard {
  user,  // "Authorization: Bearer <access token>", resolved to request.caller
  // "Authorization: Device <token>" (WebSocket clients, which cannot set headers, may send
  // ?token=) into request.device_token. The handler proves it in the same step that uses it
  // (the heartbeat's write, the gateway's upgrade), so no lookup is spent on it twice.
  device,
  user_or_device,  // either; a device token is taken when both are sent
  signature,       // RouteOptions::signature accepts the request (webhooks)
  open,            // anyone
};
// Turns a non-AppError exception into a contract error where one fits (e.g. DB down → 503).
using ErrorTranslator = std::function<std::optional<AppError>(const std::exception&)>;

struct RouteOptions {
  Guard guard = Guard::user;
  // Handlers may block (database, password hashing), so they run on the worker pool. Only
  // handlers that never block may run inline on an I/O thread.
  bool blocking = true;
  // Seconds-scale CPU work (password hashing) runs on a small pool of its own, so a burst of
  // logins never starves the ordinary handlers.
  bool cpu_heavy = false;
  SignatureCheck signature = {};  // Guard::signature only
};

struct Route {
  std::string method;
  std::string pattern;  // "/api/devices/:id"
  Handler handler;
  AsyncHandler async_handler;  // set instead of `handler` on asynchronous routes
  StreamingHandler streaming;  // set instead of `handler` on routes with streamed bodies
  WebSocketHandler websocket;  // set on WebSocket routes (GET + Upgrade)
  RouteOptions options;
  std::vector<std::string> segments;
  RouteDoc doc;  // what /api/openapi.json says of it

  Route& describe(RouteDoc d) {
    doc = std::move(d);
    return *this;
  }
};

struct Match {
  const Route* route = nullptr;  // null when nothing matched
  std::vector<std::pair<std::string, std::string>> params;
  std::string allowed;  // "GET, PUT" when the path exists but not for this method
};

class Router {
 public:
  Route& add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});
  Route& get(std::string p, Handler h, RouteOptions o = {}) {
    return add("GET", std::move(p), std::move(h), std::move(o));
  }
  Route& post(std::string p, Handler h, RouteOptions o = {}) {
    return add("POST", std::move(p), std::move(h), std::move(o));
  }
  Route& put(std::string p, Handler h, RouteOptions o = {}) {
    return add("PUT", std::move(p), std::move(h), std::move(o));
  }
  Route& patch(std::string p, Handler h, RouteOptions o = {}) {
    return add("PATCH", std::move(p), std::move(h), std::move(o));
  }
  Route& del(std::string p, Handler h, RouteOptions o = {}) {
    return add("DELETE", std::move(p), std::move(h), std::move(o));
  }
  Route& post_async(std::string pattern, AsyncHandler handler, RouteOptions options = {});
  Route& post_streaming(std::string pattern, StreamingHandler handler, RouteOptions options = {});
  // A GET route that upgrades to WebSocket; a plain GET there is a 400.
  Route& websocket(std::string pattern, WebSocketHandler handler, RouteOptions options = {});
  // Runs a WebSocket route's guard and handler, as execute() does for a handler: the session,
  // or null with `refusal` set to the error response to send instead of upgrading.
  std::shared_ptr<WebSocketSession> accept(const Route& route, Request& request,
                                           Response& refusal) const;

  // Routes under `prefix` ("/api/devices/:id") with `defaults` (the guard) unless a route
  // gives options of its own.
  class Group;
  Group group(std::string prefix, RouteOptions defaults = {});

  void set_authenticator(Authenticator authenticator) { authenticator_ = std::move(authenticator); }
  void set_error_translator(ErrorTranslator translator) { translator_ = std::move(translator); }

  // Pure and cheap: safe on an I/O thread.
  Match match(std::string_view method, std::string_view path) const;
  // Authenticates when the route requires it, then runs the handler. Never throws: every
  // exception becomes the contract's error response.
  Response execute(const Route& route, Request& request) const;
  // Opens the body stream of a streaming route, or sets `refusal` and returns null.
  std::unique_ptr<BodyStream> open_stream(const Route& route, Request& request,
                                          Response& refusal) const;
  // The same for an asynchronous route: `respond` gets the handler's response or the error.
  void execute_async(const Route& route, Request& request, const Responder& respond) const;
  // The error response for an exception escaping a handler.
  Response error_response(const std::exception_ptr& error, const Request& request) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }
  // The named schemas routes refer to; features add theirs when they mount.
  Components& components() { return components_; }
  const Components& components() const { return components_; }

 private:
  template <class Open>
  auto open_guarded(const Route& route, Request& request, Response& refusal, Open open) const
      -> decltype(open());
  // The route's guard, then the query check: what every route runs before its handler.
  void admit(const Route& route, Request& request) const;

  std::vector<std::unique_ptr<Route>> routes_;
  Components components_;
  Authenticator authenticator_;
  ErrorTranslator translator_;
};

class Router::Group {
 public:
  Group(Router& router, std::string prefix, RouteOptions defaults)
      : router_(router), prefix_(std::move(prefix)), defaults_(std::move(defaults)) {}
  Route& get(std::string_view p, Handler h) { return add("GET", p, std::move(h), defaults_); }
  Route& get(std::string_view p, Handler h, RouteOptions o) {
    return add("GET", p, std::move(h), std::move(o));
  }
  Route& post(std::string_view p, Handler h) { return add("POST", p, std::move(h), defaults_); }
  Route& post(std::string_view p, Handler h, RouteOptions o) {
    return add("POST", p, std::move(h), std::move(o));
  }
  Route& put(std::string_view p, Handler h) { return add("PUT", p, std::move(h), defaults_); }
  Route& patch(std::string_view p, Handler h) { return add("PATCH", p, std::move(h), defaults_); }
  Route& del(std::string_view p, Handler h) { return add("DELETE", p, std::move(h), defaults_); }
  Route& post_async(std::string_view p, AsyncHandler h, RouteOptions o) {
    return router_.post_async(prefix_ + std::string(p), std::move(h), std::move(o));
  }
  Route& post_streaming(std::string_view p, StreamingHandler h) {
    return router_.post_streaming(prefix_ + std::string(p), std::move(h), defaults_);
  }
  Route& websocket(std::string_view p, WebSocketHandler h, RouteOptions o) {
    return router_.websocket(prefix_ + std::string(p), std::move(h), std::move(o));
  }

 private:
  Route& add(std::string method, std::string_view path, Handler handler, RouteOptions options) {
    return router_.add(std::move(method), prefix_ + std::string(path), std::move(handler),
                       std::move(options));
  }

  Router& router_;
  std::string prefix_;
  RouteOptions defaults_;
};

// "/api/v1/x" → "/api/x"; trailing slashes dropped. Used by match().
std::string_view canonical_path(std::string_view path, std::string& storage);

}  // namespace karma::http
