#include "http/http_session.hpp"

#include <cstring>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/validation.hpp"
#include "http/metrics.hpp"
#include "http/sse_sink.hpp"
#include "http/ws_connection.hpp"

namespace karma::http {

namespace {

// Echo a client's request id only when it is short and harmless in logs and headers.
bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// The responder of an asynchronous handler: resumes the session once with the first response;
// a handler that drops it unanswered gets a 500 instead of a hung connection.
template <class Completion, class Executor>
class Reply {
 public:
  Reply(Completion completion, Executor home)
      : completion_(std::move(completion)), home_(std::move(home)) {}
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply() {
    if (!sent_) send(Response::error(AppError(ErrorCode::internal, "Internal server error")));
  }
  void send(Response response) {
    if (sent_.exchange(true)) return;
    asio::post(home_,
               [completion = std::move(completion_), response = std::move(response)]() mutable {
                 std::move(completion)(std::move(response));
               });
  }

 private:
  Completion completion_;
  Executor home_;
  std::atomic<bool> sent_{false};
};

// Starts `start(Responder)` on `pool` and resumes the calling coroutine on its own executor
// with the response the responder is given, whenever and wherever that happens.
template <class Start>
asio::awaitable<Response> run_async(asio::thread_pool& pool, Start start) {
  auto home = co_await asio::this_coro::executor;
  auto initiation = [&pool, &start, &home](auto completion) {
    auto reply =
        std::make_shared<Reply<decltype(completion), decltype(home)>>(std::move(completion), home);
    Responder respond = [reply](Response response) { reply->send(std::move(response)); };
    asio::post(pool, [start = std::move(start), respond = std::move(respond)]() mutable {
      start(respond);
    });
  };
  Response response = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Response)>(
      initiation, asio::use_awaitable);
  co_return response;
}

}  // namespace

Session::Session(tcp::socket&& socket, Server::Impl& server, std::uint64_t id)
    : executor_(socket.get_executor()), stream_(std::move(socket)), server_(server), id_(id) {
  boost::system::error_code ec;
  const auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string();
}

Session::~Session() {
  if (events_) events_->detach();  // destroyed mid-stream (the loop stopped under it)
  server_.forget(id_);
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
  try {
    co_await self->loop();
  } catch (const std::exception& e) {
    log::error("connection failed", {{"error", e.what()}});
  }
}

void Session::close_if_idle() {
  if (ws_)
    ws_->close_with(websocket::close_code::going_away, "server shutting down");
  else if (events_)
    events_->close();  // what is queued goes out, then the stream ends
  else if (idle_)
    close();
}

void Session::close() {
  if (ws_) return ws_->terminate();
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

Response Session::read_failure(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit)
    return Response::error(AppError(
        ErrorCode::payload_too_large,
        "Request body exceeds " + std::to_string(server_.options.body_limit_bytes) + " bytes",
        boost::json::object{{"limit", server_.options.body_limit_bytes}}));
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
    return Response::error(AppError(ErrorCode::validation, "Request header fields too large",
                                    boost::json::object{{"limit", kHeaderLimitBytes}}));
  return Response::error(AppError(ErrorCode::validation, "Malformed HTTP request",
                                  boost::json::object{{"reason", ec.message()}}));
}

asio::awaitable<void> Session::loop() {
  const auto idle_timeout = std::chrono::seconds(server_.options.idle_timeout_seconds);
  const auto request_timeout = std::chrono::seconds(server_.options.request_timeout_seconds);
  std::shared_ptr<WebSocketSession> upgrade;
  for (;;) {
    idle_ = true;
    if (server_.draining.load()) break;
    RequestParser<bhttp::string_body> parser;
    // No limit while the header is read: a streaming route takes any size. Buffered bodies
    // get theirs below, once the route is known.
    parser.body_limit(boost::none);
    stream_.expires_after(idle_timeout);
    auto [header_ec, header_bytes] =
        co_await bhttp::async_read_header(stream_, buffer_, parser, nothrow_awaitable);
    idle_ = false;
    parser.header_used(header_bytes);
    if (header_ec) {
      if (!connection_gone(header_ec)) {
        Request failed;
        failed.request_id = crypto::counted_uuid();
        Response failure = read_failure(header_ec);
        co_await send(std::move(failure), failed, 11, false);
        co_await linger();
      }
      break;
    }
    const auto started = Clock::now();
    server_.metrics.begin_request();
    struct InFlight {
      Metrics& metrics;
      ~InFlight() { metrics.end_request(); }
    } in_flight{server_.metrics};

    Request request = convert(parser.get());
    if (auto ambiguous = ambiguous_header(parser.get())) {
      Response refusal = std::move(*ambiguous);
      record(request, "unmatched", refusal.status, started, true);
      co_await send(std::move(refusal), request, parser.get().version(), false);
      co_await linger();
      break;
    }
    Match match;
    if (!request.path.empty() && request.path.front() == '/')
      match = server_.router.match(request.method, request.path);
    if (match.route && match.route->streaming) {
      request.path_params = std::move(match.params);
      if (!co_await serve_streaming(parser, request, *match.route, started)) break;
      continue;
    }
    boost::system::error_code body_ec;
    if (!parser.limit_body(server_.options.body_limit_bytes)) {
      body_ec = bhttp::error::body_limit;  // refused before it is read, and before 100-continue
    } else {
      if (!co_await continue_if_expected(parser.get())) break;
      stream_.expires_after(request_timeout);
      auto [read_ec, body_bytes] =
          co_await bhttp::async_read(stream_, buffer_, parser, nothrow_awaitable);
      body_ec = read_ec;
    }
    if (body_ec) {
      if (!connection_gone(body_ec)) {
        Response response = read_failure(body_ec);
        record(request, "unmatched", response.status, started, true);
        co_await send(std::move(response), request, parser.get().version(), false);
        co_await linger();
      }
      break;
    }

    BeastRequest& beast_request = parser.get();
    const unsigned version = beast_request.version();
    const bool keep_alive = beast_request.keep_alive();
    const bool wants_upgrade = websocket::is_upgrade(beast_request);
    request.body = std::move(beast_request.body());
    std::string route_label = "unmatched";
    Response response = co_await handle(request, match, route_label, wants_upgrade, upgrade);
    if (upgrade) {
      record(request, route_label, 101, started, false);
      upgrade_request_.emplace(std::move(beast_request));
      upgrade_ = std::move(upgrade);
      break;  // the connection is no longer an HTTP request in flight
    }
    record(request, route_label, response.status, started, true);
    if (!co_await send(std::move(response), request, version, keep_alive)) break;
    if (!keep_alive) break;
  }
  if (!upgrade_) close();
}

// Not a coroutine: the HTTP loop's frame (its parser, request and response) is gone by now, so
// a long-lived WebSocket does not keep it.
void Session::upgrade_if_accepted() {
  if (!upgrade_) return;
  stream_.expires_never();         // the WebSocket's own timeouts (pings) take over
  buffer_ = beast::flat_buffer();  // an upgraded connection reads through its WebSocket
  ws_ = std::make_shared<WsConnection>(std::move(stream_), server_.options.websocket_queue_bytes);
  asio::co_spawn(
      executor_,
      WsConnection::serve(ws_, std::move(*upgrade_request_), std::move(upgrade_), server_.workers,
                          std::chrono::seconds(server_.options.idle_timeout_seconds)),
      [self = shared_from_this()](std::exception_ptr error) {
        if (error) log::error("websocket failed");
      });
  upgrade_request_.reset();
}

void Session::record(const Request& request, const std::string& route_label, int status,
                     Clock::time_point started, bool log_line) {
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  server_.metrics.observe(request.method, route_label, status, seconds);
  if (log_line && log::enabled(log::Level::info)) {
    log::info("request", {{"requestId", request.request_id},
                          {"method", request.method},
                          {"path", request.path},
                          {"status", status},
                          {"durationMs", seconds * 1000},
                          {"ip", request.client_ip}});
  }
}

asio::awaitable<bool> Session::continue_if_expected(const BeastRequest& request) {
  if (!iequals(std::string_view(request[bhttp::field::expect]), "100-continue")) co_return true;
  bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, request.version()};
  stream_.expires_after(std::chrono::seconds(server_.options.request_timeout_seconds));
  auto [ec, n] = co_await bhttp::async_write(stream_, cont, nothrow_awaitable);
  co_return !ec;
}

asio::awaitable<bool> Session::serve_streaming(RequestParser<bhttp::string_body>& header_parser,
                                               Request& request, const Route& route,
                                               Clock::time_point started) {
  const Router& router = server_.router;
  const unsigned version = header_parser.get().version();
  const bool keep_alive = header_parser.get().keep_alive();
  Response response;
  auto open = [&router, &route, &request, &response]() noexcept {
    return router.open_stream(route, request, response);
  };
  std::unique_ptr<BodyStream> body = co_await run_on(server_.workers, open);
  // Refused before the body was read: answer, then drain a little and close.
  if (!body) {
    record(request, route.pattern, response.status, started, true);
    co_await send(std::move(response), request, version, false);
    co_await linger();
    co_return false;
  }
  // The stream is destroyed on the transfer pool: undoing an upload is storage I/O.
  auto discard = [&body]() noexcept {
    body.reset();
    return true;
  };
  if (!co_await continue_if_expected(header_parser.get())) {
    co_await on_transfer(discard);
    co_return false;
  }

  RequestParser<bhttp::buffer_body> parser(std::move(header_parser));
  parser.body_limit(boost::none);  // the stream enforces limits of its own
  // Beast reads no more than the read buffer's free capacity at a time, which after a header
  // is a kilobyte or two: 38 000 reads (and timer re-arms) for 64 MB. Room for its largest
  // read (64 KiB) makes uploads 10x faster; the room is given back afterwards.
  buffer_.reserve(std::min(buffer_.max_size(), buffer_.size() + 64 * 1024));
  struct ShrinkAfter {
    beast::flat_buffer& buffer;
    ~ShrinkAfter() { buffer.shrink_to_fit(); }
  } shrink_after{buffer_};
  std::vector<char> chunk(kStreamChunkBytes);
  std::size_t held = 0;  // bytes at the front of `chunk` the stream has not used yet
  bool failed = false;
  auto fail_with = [&](std::exception_ptr error) {
    response = router.error_response(error, request);
    failed = true;
  };
  while (!parser.is_done() && !failed) {
    parser.get().body().data = chunk.data() + held;
    parser.get().body().size = chunk.size() - held;
    stream_.expires_after(std::chrono::seconds(server_.options.request_timeout_seconds));
    auto [read_ec, n] = co_await bhttp::async_read(stream_, buffer_, parser, nothrow_awaitable);
    if (read_ec && read_ec != bhttp::error::need_buffer) {
      co_await on_transfer(discard);
      if (connection_gone(read_ec)) co_return false;
      response = read_failure(read_ec);
      record(request, route.pattern, response.status, started, true);
      co_await send(std::move(response), request, version, false);
      co_await linger();
      co_return false;
    }
    held = chunk.size() - parser.get().body().size;
    auto feed = [&body, &chunk, held, &fail_with]() noexcept -> std::size_t {
      try {
        return body->consume(std::string_view(chunk.data(), held));
      } catch (...) {
        fail_with(std::current_exception());
        return 0;
      }
    };
    const std::size_t used = co_await on_transfer(feed);
    if (!failed && used == 0 && held == chunk.size()) {
      fail_with(std::make_exception_ptr(
          AppError(ErrorCode::validation, "Request body cannot be parsed in bounded memory")));
    }
    std::memmove(chunk.data(), chunk.data() + used, held - used);
    held -= used;
  }
  if (!failed) {
    auto finish = [&body, &chunk, held, &fail_with]() noexcept {
      try {
        return body->finish(std::string_view(chunk.data(), held));
      } catch (...) {
        fail_with(std::current_exception());
        return Response{};
      }
    };
    Response finished = co_await on_transfer(finish);
    if (!failed) response = std::move(finished);
  }
  co_await on_transfer(discard);
  record(request, route.pattern, response.status, started, true);
  // A stream that failed mid-body leaves the rest of the body unread: close after answering.
  const bool complete = parser.is_done();
  const bool sent = co_await send(std::move(response), request, version, keep_alive && complete);
  if (!complete) co_await linger();
  co_return sent&& complete&& keep_alive;
}

asio::awaitable<void> Session::linger() {
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> scratch(64 * 1024);
  std::size_t swallowed = 0;
  stream_.expires_after(std::chrono::seconds(2));
  while (swallowed < 64 * 1024 * 1024) {
    auto [read_ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), nothrow_awaitable);
    if (read_ec) break;
    swallowed += n;
  }
}

Request Session::convert(BeastRequest& r) {
  Request request;
  request.method = std::string(r.method_string());
  for (const auto& field : r) {
    request.headers.push_back({ascii_lower(field.name_string()), std::string(field.value())});
  }
  const std::string_view client_id = request.header("x-request-id");
  request.request_id = sane_request_id(client_id) ? std::string(client_id) : crypto::counted_uuid();
  request.client_ip = remote_;
  if (server_.options.trust_proxy) {
    std::string_view forwarded = request.header("x-forwarded-for");
    forwarded = forwarded.substr(0, forwarded.find(','));
    while (!forwarded.empty() && forwarded.front() == ' ') forwarded.remove_prefix(1);
    while (!forwarded.empty() && forwarded.back() == ' ') forwarded.remove_suffix(1);
    if (!forwarded.empty()) request.client_ip = std::string(forwarded);
  }
  if (!parse_target(r.target(), request.path, request.query)) request.path.clear();  // → 400
  return request;
}

asio::awaitable<Response> Session::handle(Request& request, Match& match, std::string& route_label,
                                          bool wants_upgrade,
                                          std::shared_ptr<WebSocketSession>& upgrade) {
  const Router& router = server_.router;
  // Responses are built into named locals before co_return/co_await: g++ 12 mishandles
  // non-trivial temporaries in those expressions (see TOOLCHAIN.md, trap 1).
  if (request.path.empty() || request.path.front() != '/') {
    Response response =
        Response::error(AppError(ErrorCode::validation, "Malformed request target"));
    co_return response;
  }
  const std::string_view origin = request.header("origin");
  if (request.method == "OPTIONS" && !origin.empty() &&
      !request.header("access-control-request-method").empty()) {
    route_label = "preflight";
    Response response;
    response.status = 204;
    response.content_type.clear();
    if (server_.origin_allowed(origin)) {
      server_.add_cors(origin, response);
      response.set_header("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
      const std::string_view asked = request.header("access-control-request-headers");
      response.set_header("access-control-allow-headers",
                          asked.empty() ? "Authorization, Content-Type" : std::string(asked));
      response.set_header("access-control-max-age", "600");
    }
    co_return response;
  }

  if (!match.route) {
    if (!match.allowed.empty()) {
      Response response = Response::error(
          AppError(ErrorCode::method_not_allowed, "Method " + request.method + " not allowed",
                   boost::json::object{{"allowed", match.allowed}}));
      response.set_header("allow", match.allowed);
      co_return response;
    }
    Response response = Response::error(AppError(ErrorCode::not_found, "Route not found"));
    co_return response;
  }
  route_label = match.route->pattern;
  request.path_params = std::move(match.params);
  const Route& route = *match.route;
  if (route.websocket && wants_upgrade) {
    Response refusal;
    auto accept = [&router, &route, &request, &refusal]() noexcept {
      return router.accept(route, request, refusal);
    };
    upgrade = co_await run_on(server_.workers, accept);
    co_return refusal;
  }
  if (route.async_handler) {
    auto start = [&router, &route, &request](const Responder& respond) noexcept {
      router.execute_async(route, request, respond);
    };
    Response response = co_await run_async(server_.workers, start);
    co_return response;
  }
  if (!route.options.blocking) {
    Response response = router.execute(route, request);
    co_return response;
  }
  auto work = [&router, &route, &request]() noexcept { return router.execute(route, request); };
  auto& pool = route.options.cpu_heavy ? server_.heavy_workers : server_.workers;
  Response response = co_await run_on(pool, work);
  co_return response;
}

template <class Message>
void Session::fill_head(Message& out, Response& response, const Request& request, bool keep_alive) {
  const std::string_view origin = request.header("origin");
  if (!origin.empty() && server_.origin_allowed(origin) &&
      response.header("access-control-allow-origin").empty()) {
    server_.add_cors(origin, response);
  }
  out.set(bhttp::field::server, "karma");
  if (!response.content_type.empty()) out.set(bhttp::field::content_type, response.content_type);
  out.set("x-request-id", request.request_id);
  for (auto& header : response.headers) out.set(header.name, header.value);
  out.keep_alive(keep_alive && !server_.draining.load());
}

asio::awaitable<bool> Session::send(Response response, const Request& request, unsigned version,
                                    bool keep_alive) {
  if (response.stream) {
    const bool sent = co_await send_stream(response, request, version, keep_alive);
    co_return sent;
  }
  if (response.events) {
    co_await send_events(response, request, version);
    co_return false;
  }
  if (response.shared_body) {
    bhttp::response<bhttp::buffer_body> out{static_cast<bhttp::status>(response.status), version};
    fill_head(out, response, request, keep_alive);
    out.content_length(response.shared_body->size());
    // Beast's buffer body takes a mutable pointer but only reads through it.
    out.body().data = const_cast<char*>(response.shared_body->data());
    out.body().size = response.shared_body->size();
    out.body().more = false;
    stream_.expires_after(std::chrono::seconds(server_.options.request_timeout_seconds));
    auto [ec, n] = co_await bhttp::async_write(stream_, out, nothrow_awaitable);
    co_return !ec;
  }
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
  fill_head(out, response, request, keep_alive);
  out.body() = std::move(response.body);
  out.prepare_payload();
  stream_.expires_after(std::chrono::seconds(server_.options.request_timeout_seconds));
  auto [ec, n] = co_await bhttp::async_write(stream_, out, nothrow_awaitable);
  co_return !ec;
}

asio::awaitable<bool> Session::send_stream(Response& response, const Request& request,
                                           unsigned version, bool keep_alive) {
  bhttp::response<bhttp::buffer_body> out{static_cast<bhttp::status>(response.status), version};
  fill_head(out, response, request, keep_alive);
  if (response.stream_length)
    out.content_length(*response.stream_length);
  else
    out.chunked(true);
  out.body().data = nullptr;
  out.body().more = true;
  bhttp::response_serializer<bhttp::buffer_body> serializer{out};
  if (!co_await send_head(serializer)) co_return false;
  const auto timeout = std::chrono::seconds(server_.options.request_timeout_seconds);
  std::vector<char> chunk(kStreamChunkBytes);
  BodySource& source = *response.stream;
  for (;;) {
    auto read = [&source, &chunk, &request]() noexcept -> std::optional<std::size_t> {
      try {
        return source.read(chunk.data(), chunk.size());
      } catch (const std::exception& e) {
        log::error("response stream failed",
                   {{"requestId", request.request_id}, {"error", e.what()}});
        return std::nullopt;
      }
    };
    const std::optional<std::size_t> n = co_await on_transfer(read);
    if (!n) co_return false;  // cut short: closing the connection tells the client
    out.body().data = *n ? chunk.data() : nullptr;
    out.body().size = *n;
    out.body().more = *n > 0;
    stream_.expires_after(timeout);
    auto [ec, written] = co_await bhttp::async_write(stream_, serializer, nothrow_awaitable);
    if (ec && ec != bhttp::error::need_buffer) co_return false;
    if (serializer.is_done()) co_return true;
  }
}

asio::awaitable<bool> Session::send_head(
    bhttp::response_serializer<bhttp::buffer_body>& serializer) {
  stream_.expires_after(std::chrono::seconds(server_.options.request_timeout_seconds));
  auto [ec, n] = co_await bhttp::async_write_header(stream_, serializer, nothrow_awaitable);
  co_return !ec;
}

asio::awaitable<void> Session::send_events(Response& response, const Request& request,
                                           unsigned version) {
  response.set_header("cache-control", "no-cache");
  response.set_header("x-accel-buffering", "no");  // nginx: pass each event on at once
  bhttp::response<bhttp::buffer_body> out{static_cast<bhttp::status>(response.status), version};
  fill_head(out, response, request, false);
  if (version >= 11) out.chunked(true);  // HTTP/1.0: the body runs until the connection closes
  out.body().data = nullptr;
  out.body().more = true;
  bhttp::response_serializer<bhttp::buffer_body> serializer{out};
  if (!co_await send_head(serializer)) co_return;
  const auto timeout = std::chrono::seconds(server_.options.request_timeout_seconds);

  auto sink = std::make_shared<SseSink>(stream_.get_executor(),
                                        server_.options.event_stream_buffer_bytes, server_.workers);
  asio::steady_timer wake(stream_.get_executor());
  events_ = sink;
  sink->wake_timer = &wake;
  sink->on_cut = [this] { close(); };
  watch_for_disconnect(sink);
  EventStreamStart start = std::move(response.events);
  auto begin = [&start, &sink, &request]() noexcept {
    try {
      start(sink);
    } catch (const std::exception& e) {
      log::error("event stream failed to start",
                 {{"requestId", request.request_id}, {"error", e.what()}});
      sink->close();
    }
    return true;
  };
  co_await run_on(server_.workers, begin);

  const auto heartbeat = std::chrono::seconds(server_.options.event_stream_heartbeat_seconds);
  std::string batch;
  for (;;) {
    const SseSink::Taken taken = sink->take(batch);
    if (taken.cut) break;
    if (batch.empty() && !taken.end) {
      wake.expires_after(heartbeat);
      auto [wait_ec] = co_await wake.async_wait(nothrow_awaitable);
      if (wait_ec) continue;  // woken: something was queued, or the stream ended
      batch = ": keep-alive\n\n";
    }
    out.body().data = batch.empty() ? nullptr : batch.data();
    out.body().size = batch.size();
    out.body().more = !taken.end;
    stream_.expires_after(timeout);
    auto [ec, written] = co_await bhttp::async_write(stream_, serializer, nothrow_awaitable);
    if ((ec && ec != bhttp::error::need_buffer) || taken.end) break;
  }
  sink->cut();  // whatever ended it, producers learn it now (on a worker)
  sink->wake_timer = nullptr;
  sink->on_cut = nullptr;
  sink->detach();
  events_.reset();
}

void Session::watch_for_disconnect(std::shared_ptr<SseSink> sink) {
  auto& scratch = sink->discarded;
  stream_.socket().async_read_some(asio::buffer(scratch),
                                   [self = shared_from_this(), sink = std::move(sink)](
                                       boost::system::error_code ec, std::size_t) mutable {
                                     if (ec) return sink->cut();
                                     self->watch_for_disconnect(std::move(sink));
                                   });
}

}  // namespace karma::http
