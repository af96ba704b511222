#include "http/server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/validation.hpp"
#include "http/metrics.hpp"
#include "http/request_parser.hpp"
#include "http/router.hpp"

namespace karma::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);
// Pieces of streamed bodies: large enough that the hop to the transfer pool is noise.
constexpr std::size_t kStreamChunkBytes = 256 * 1024;

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

bool connection_gone(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::broken_pipe || ec == beast::error::timeout ||
         ec == bhttp::error::partial_message;
}

// Runs `work` (noexcept, non-void) on `pool` and resumes the calling coroutine on its own
// executor with the result.
template <class Work, class Result = std::invoke_result_t<Work>>
asio::awaitable<Result> run_on(asio::thread_pool& pool, Work work) {
  auto home = co_await asio::this_coro::executor;
  auto initiation = [&pool, &work, &home](auto handler) {
    asio::post(pool, [work = std::move(work), handler = std::move(handler), home]() mutable {
      Result response = work();
      asio::post(home, [handler = std::move(handler), response = std::move(response)]() mutable {
        std::move(handler)(std::move(response));
      });
    });
  };
  Result response = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Result)>(
      initiation, asio::use_awaitable);
  co_return response;
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

class Session;

class Server::Impl {
 public:
  Impl(ServerOptions o, const Router& r, Metrics& m)
      : options(std::move(o)),
        router(r),
        metrics(m),
        workers(static_cast<std::size_t>(std::max(1, options.worker_threads))),
        heavy_workers(static_cast<std::size_t>(std::max(1, options.heavy_threads))),
        transfer_workers(static_cast<std::size_t>(std::max(1, options.transfer_threads))),
        acceptor_strand(asio::make_strand(ioc)),
        acceptor(acceptor_strand) {}

  void start();
  void stop();
  void run_io();
  void accept_next();
  void start_session(tcp::socket socket);
  void forget(std::uint64_t id) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(id);
  }
  std::vector<std::shared_ptr<Session>> live_sessions();
  // CORS response headers for `origin`, when it is allowed.
  void add_cors(std::string_view origin, Response& response) const;
  bool origin_allowed(std::string_view origin) const;

  ServerOptions options;
  const Router& router;
  Metrics& metrics;
  // Declared before the io_context so they outlive it: destroying the context destroys
  // suspended session coroutines, whose destructors unregister here.
  std::mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session_id = 0;
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};
  std::uint16_t bound_port = 0;
  std::vector<std::thread> threads;
  asio::thread_pool workers;
  asio::thread_pool heavy_workers;
  asio::thread_pool transfer_workers;
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> acceptor_strand;
  tcp::acceptor acceptor;
};

// The server side of one WebSocket: writes are queued on the connection's strand and sent one
// at a time; a close frame goes out after the queued messages. What is queued and unsent is
// bounded (counted when send() is called, before anything is posted): a peer that lets more
// pile up is closed with 1013 and, should it not take even the close frame, cut off.
class WsConnection final : public WebSocketConnection,
                           public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(beast::tcp_stream&& s, std::size_t queue_limit)
      : stream(std::move(s)), queue_limit_(queue_limit), cutoff_(stream.get_executor()) {}

  void send(std::string text) override {
    const std::size_t size = text.size();
    if (pending_bytes_.fetch_add(size) + size > queue_limit_) {
      pending_bytes_.fetch_sub(size);
      asio::post(stream.get_executor(), [self = shared_from_this()] { self->overflow(); });
      return;
    }
    asio::post(stream.get_executor(),
               [self = shared_from_this(), text = std::move(text)]() mutable {
                 if (self->closing_) return self->sent(text.size());
                 self->queue_.push_back(std::move(text));
                 if (!self->writing_) self->write_next();
               });
  }

  void close(std::string reason) override {
    close_with(websocket::close_code::normal, std::move(reason));
  }
  void close(int code, std::string reason) override {
    close_with(static_cast<websocket::close_code>(code), std::move(reason));
  }

  // Sends a close frame with `code` after the queued messages; later sends are dropped.
  void close_with(websocket::close_code code, std::string reason) {
    asio::post(stream.get_executor(),
               [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
                 if (self->closing_) return;
                 self->closing_ = true;
                 self->close_reason_ = websocket::close_reason(code, reason);
                 if (!self->writing_) self->send_close();
               });
  }

  // Drops the TCP connection at once (shutdown deadline passed, or a peer that takes nothing).
  // Runs on the strand.
  void terminate() {
    cutoff_.cancel();
    boost::system::error_code ec;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream).socket().close(ec);
  }

  websocket::stream<beast::tcp_stream> stream;

 private:
  void sent(std::size_t bytes) { pending_bytes_.fetch_sub(bytes); }

  // Drops every queued message but the one being written.
  void drop_queue() {
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      sent(queue_.back().size());
      queue_.pop_back();
    }
  }

  void overflow() {
    if (closing_) return;  // said once
    log::warn("websocket peer too slow: closing",
              {{"queuedBytes", pending_bytes_.load()}, {"limit", queue_limit_}});
    drop_queue();
    closing_ = true;
    close_reason_ =
        websocket::close_reason(websocket::close_code::try_again_later, "too many unsent messages");
    if (!writing_) send_close();
    cutoff_.expires_after(std::chrono::seconds(5));
    cutoff_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->terminate();
    });
  }

  void write_next() {
    writing_ = true;
    stream.text(true);
    stream.async_write(asio::buffer(queue_.front()),
                       [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                         self->sent(self->queue_.front().size());
                         self->queue_.pop_front();
                         if (ec) {
                           self->writing_ = false;
                           self->drop_queue();
                           return;
                         }
                         if (!self->queue_.empty()) return self->write_next();
                         self->writing_ = false;
                         if (self->closing_) self->send_close();
                       });
  }

  void send_close() {
    stream.async_close(close_reason_, [self = shared_from_this()](boost::system::error_code) {
      self->cutoff_.cancel();
    });
  }

  std::deque<std::string> queue_;
  std::atomic<std::size_t> pending_bytes_{0};  // queued, or posted and not yet queued
  const std::size_t queue_limit_;
  asio::steady_timer cutoff_;
  bool writing_ = false;
  bool closing_ = false;
  websocket::close_reason close_reason_;
};

// The server's end of one event stream. Producers on any thread append to a bounded buffer and
// wake the session's writer, which takes the buffer whole (swapping buffers, so steady streams
// allocate nothing). It closes once: ended by the producer (what is queued still goes out), or
// cut (client gone, too slow, connection closed) with nothing more written. Producers may keep
// it after the session is gone: once detached it touches neither the connection nor the pools.
class SseSink final : public EventSink, public std::enable_shared_from_this<SseSink> {
 public:
  SseSink(asio::any_io_executor strand, std::size_t limit, asio::thread_pool& workers)
      : strand_(std::move(strand)), limit_(limit), workers_(workers) {}

  bool send(std::string_view data, std::string_view event, std::string_view id) override {
    std::unique_lock lock(mutex_);
    if (state_ != State::open) return false;
    const std::size_t before = pending_.size();
    append_event(pending_, data, event, id);
    if (pending_.size() > limit_) {
      pending_.resize(before);
      lock.unlock();
      log::warn("event stream client too slow: cutting it off",
                {{"queuedBytes", before}, {"limit", limit_}});
      cut();
      return false;
    }
    if (before == 0) wake_locked();
    return true;
  }
  void close() override { end(State::ending); }
  bool closed() const override {
    std::lock_guard lock(mutex_);
    return state_ != State::open;
  }
  void on_close(std::function<void()> callback) override {
    {
      std::lock_guard lock(mutex_);
      if (state_ == State::open) return callbacks_.push_back(std::move(callback));
    }
    callback();  // already closed: on the caller's thread
  }
  void cut() { end(State::cut); }
  // The session is done with the stream (or destroyed mid-stream): from here on the sink is
  // inert. Callbacks still pending run here.
  void detach() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      strand_.reset();
      state_ = State::cut;
      pending_.clear();
      callbacks.swap(callbacks_);
    }
    for (auto& callback : callbacks) callback();
  }

  // The writer's side, on the session's strand.
  struct Taken {
    bool end = false;  // after these bytes, the stream is over
    bool cut = false;  // write nothing more
  };
  Taken take(std::string& out) {
    out.clear();
    std::lock_guard lock(mutex_);
    if (state_ == State::cut) return {true, true};
    out.swap(pending_);
    return {state_ == State::ending, false};
  }
  // Set and cleared by the writer, read on the strand: the timer it waits on (cancelled to
  // wake it), and what aborts a write the client is not taking when the stream is cut.
  asio::steady_timer* wake_timer = nullptr;
  std::function<void()> on_cut;

 private:
  enum class State { open, ending, cut };

  void end(State to) {
    std::lock_guard lock(mutex_);
    if (state_ == State::cut || state_ == to) return;
    state_ = to;
    for (auto& callback : callbacks_) asio::post(workers_, std::move(callback));
    callbacks_.clear();
    if (to == State::cut) {
      pending_.clear();
      asio::post(*strand_, [self = shared_from_this()] {
        if (self->on_cut) self->on_cut();
      });
    }
    wake_locked();
  }
  void wake_locked() {
    if (!strand_) return;
    asio::post(*strand_, [self = shared_from_this()] {
      if (self->wake_timer) self->wake_timer->cancel();
    });
  }

  std::optional<asio::any_io_executor> strand_;  // the session's; reset once detached
  const std::size_t limit_;
  asio::thread_pool& workers_;
  mutable std::mutex mutex_;
  State state_ = State::open;
  std::string pending_;
  std::vector<std::function<void()>> callbacks_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server, std::uint64_t id)
      : stream_(std::move(socket)), server_(server), id_(id) {
    boost::system::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }
  ~Session() {
    if (events_) events_->detach();  // destroyed mid-stream (the loop stopped under it)
    server_.forget(id_);
  }

  static asio::awaitable<void> run(std::shared_ptr<Session> self) {
    try {
      co_await self->loop();
    } catch (const std::exception& e) {
      log::error("connection failed", {{"error", e.what()}});
    }
  }

  auto executor() { return stream_.get_executor(); }
  // Runs on the session's strand: a connection waiting for its next request is closed, one
  // mid-request finishes it (the response then carries Connection: close).
  // WebSocket peers are told the server is going away; they reconnect elsewhere.
  void close_if_idle() {
    if (ws_)
      ws_->close_with(websocket::close_code::going_away, "server shutting down");
    else if (events_)
      events_->close();  // what is queued goes out, then the stream ends
    else if (idle_)
      close();
  }
  void close() {
    if (ws_) return ws_->terminate();
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  using BeastRequest = bhttp::request<bhttp::string_body>;

  asio::awaitable<void> loop();
  // After an error answer to a request whose body we did not read: stop sending, swallow what
  // the client still sends for a moment, then close. Closing at once would reset the connection
  // and the client could lose our answer.
  asio::awaitable<void> linger();
  // Routes and runs the request. For an accepted WebSocket upgrade it sets `upgrade` instead.
  asio::awaitable<Response> handle(Request& request, Match& match, std::string& route_label,
                                   bool wants_upgrade, std::shared_ptr<WebSocketSession>& upgrade);
  // Serves a streaming route: opens its BodyStream, feeds it the body as it arrives, sends its
  // response. False when the connection must close.
  asio::awaitable<bool> serve_streaming(RequestParser<bhttp::string_body>& header_parser,
                                        Request& request, const Route& route,
                                        Clock::time_point started);
  asio::awaitable<bool> send_stream(Response& response, const Request& request, unsigned version,
                                    bool keep_alive);
  // The head of a response whose body follows in pieces.
  asio::awaitable<bool> send_head(bhttp::response_serializer<bhttp::buffer_body>& serializer);
  // Serves an event stream until it ends; the connection closes after it.
  asio::awaitable<void> send_events(Response& response, const Request& request, unsigned version);
  // Reads (and ignores) what the client of an event stream sends, to learn when it goes away.
  void watch_for_disconnect(std::shared_ptr<SseSink> sink);
  // Status line and headers common to every response.
  template <class Message>
  void fill_head(Message& out, Response& response, const Request& request, bool keep_alive);
  // Runs `work` on the transfer pool (blocking storage I/O of streamed bodies).
  template <class Work>
  auto on_transfer(Work work) {
    return run_on(server_.transfer_workers, std::move(work));
  }
  asio::awaitable<void> run_websocket(BeastRequest request,
                                      std::shared_ptr<WebSocketSession> application);
  asio::awaitable<bool> send(Response response, const Request& request, unsigned version,
                             bool keep_alive);
  // The request line and headers; the body is added once read.
  Request convert(BeastRequest& beast_request);
  Response read_failure(const boost::system::error_code& ec);
  // Request metrics and, when `log_line`, the access log line.
  void record(const Request& request, const std::string& route_label, int status,
              Clock::time_point started, bool log_line);
  // Answers "Expect: 100-continue"; false when the connection failed.
  asio::awaitable<bool> continue_if_expected(const BeastRequest& request);

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{kReadBufferBytes};
  Server::Impl& server_;
  std::uint64_t id_;
  std::string remote_;
  bool idle_ = true;
  std::shared_ptr<WsConnection> ws_;  // set once upgraded
  std::shared_ptr<SseSink> events_;   // set while an event stream is served
  std::array<char, 512> discarded_;   // what an event stream's client sends
};

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
  std::optional<BeastRequest> upgrade_request;
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
      upgrade_request.emplace(std::move(beast_request));
      break;  // the connection is no longer an HTTP request in flight
    }
    record(request, route_label, response.status, started, true);
    if (!co_await send(std::move(response), request, version, keep_alive)) break;
    if (!keep_alive) break;
  }
  if (upgrade) {
    co_await run_websocket(std::move(*upgrade_request), std::move(upgrade));
    co_return;
  }
  close();
}

asio::awaitable<void> Session::run_websocket(BeastRequest request,
                                             std::shared_ptr<WebSocketSession> application) {
  stream_.expires_never();  // the WebSocket's own timeouts (pings) take over
  ws_ = std::make_shared<WsConnection>(std::move(stream_), server_.options.websocket_queue_bytes);
  auto& ws = ws_->stream;
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = std::chrono::seconds(server_.options.idle_timeout_seconds);
  ws.set_option(timeouts);
  ws.read_message_max(application->max_frame_bytes());
  auto [accept_ec] = co_await ws.async_accept(request, nothrow_awaitable);
  if (accept_ec) co_return;

  std::shared_ptr<WebSocketConnection> connection = ws_;
  auto open = [&application, &connection]() noexcept {
    try {
      application->on_open(connection);
    } catch (const std::exception& e) {
      log::error("websocket open failed", {{"error", e.what()}});
      connection->close("internal error");
    }
    return true;
  };
  co_await run_on(server_.workers, open);
  beast::flat_buffer frame;
  for (;;) {
    auto [read_ec, n] = co_await ws.async_read(frame, nothrow_awaitable);
    if (read_ec) break;
    std::string text = beast::buffers_to_string(frame.data());
    frame.consume(frame.size());
    if (!ws.got_text() && application->close_on_binary()) {
      ws_->close_with(websocket::close_code::unknown_data, "binary frames are not accepted");
      continue;
    }
    if (!ws.got_text()) {
      connection->send(
          R"({"type":"error","error":{"code":"VALIDATION_ERROR","message":"Only text frames are accepted"}})");
      continue;
    }
    auto deliver = [&application, &text, &connection]() noexcept {
      try {
        application->on_message(text);
      } catch (const std::exception& e) {
        log::error("websocket message failed", {{"error", e.what()}});
        connection->send(
            R"({"type":"error","error":{"code":"INTERNAL_ERROR","message":"Internal server error"}})");
      }
      return true;
    };
    co_await run_on(server_.workers, deliver);
  }
  auto closed = [&application]() noexcept {
    try {
      application->on_close();
    } catch (const std::exception& e) {
      log::error("websocket close failed", {{"error", e.what()}});
    }
    return true;
  };
  co_await run_on(server_.workers, closed);
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
  stream_.socket().async_read_some(asio::buffer(discarded_),
                                   [self = shared_from_this(), sink = std::move(sink)](
                                       boost::system::error_code ec, std::size_t) mutable {
                                     if (ec) return sink->cut();
                                     self->watch_for_disconnect(std::move(sink));
                                   });
}

bool Server::Impl::origin_allowed(std::string_view origin) const {
  for (const auto& allowed : options.cors_origins)
    if (allowed == "*" || allowed == origin) return true;
  return false;
}

void Server::Impl::add_cors(std::string_view origin, Response& response) const {
  const bool any = std::find(options.cors_origins.begin(), options.cors_origins.end(), "*") !=
                   options.cors_origins.end();
  response.set_header("access-control-allow-origin", any ? "*" : std::string(origin));
  if (!any) response.set_header("vary", "Origin");
  response.set_header("access-control-expose-headers",
                      "X-Request-Id, Retry-After, Content-Disposition, ETag, Allow");
}

// Accepting is plain callbacks, not a coroutine: g++ 12 double-destroys temporaries around
// co_spawn inside coroutines (the strand executor of a new socket was released twice).
void Server::Impl::accept_next() {
  acceptor.async_accept(asio::make_strand(ioc), [this](boost::system::error_code ec, auto socket) {
    if (ec) {
      if (!acceptor.is_open()) return;
      log::warn("accept failed", {{"error", ec.message()}});
    } else {
      start_session(tcp::socket(std::move(socket)));
    }
    accept_next();
  });
}

void Server::Impl::start_session(tcp::socket socket) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(sessions_mutex);
    const std::uint64_t id = ++next_session_id;
    session = std::make_shared<Session>(std::move(socket), *this, id);
    sessions.emplace(id, session);
  }
  auto executor = session->executor();
  asio::co_spawn(executor, Session::run(session), asio::detached);
}

std::vector<std::shared_ptr<Session>> Server::Impl::live_sessions() {
  std::vector<std::shared_ptr<Session>> out;
  std::lock_guard lock(sessions_mutex);
  for (auto& [id, weak] : sessions)
    if (auto s = weak.lock()) out.push_back(std::move(s));
  return out;
}

void Server::Impl::start() {
  const auto address = asio::ip::make_address(options.host);
  const tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  bound_port = acceptor.local_endpoint().port();
  asio::post(acceptor_strand, [this] { accept_next(); });
  int count = options.io_threads > 0 ? options.io_threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  if (count < 1) count = 1;
  for (int i = 0; i < count; ++i) threads.emplace_back([this] { run_io(); });
}

// A handler that throws unwinds out of run(); Asio lets the thread call run() again. The
// connection whose handler threw loses its coroutine (and so its socket); the others live on.
void Server::Impl::run_io() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      log::error("connection handler failed", {{"error", e.what()}});
    } catch (...) {
      log::error("connection handler failed", {{"error", "unknown exception"}});
    }
  }
}

void Server::Impl::stop() {
  if (stopped.exchange(true)) return;
  draining = true;
  asio::post(acceptor_strand, [this] {
    boost::system::error_code ec;
    acceptor.close(ec);
  });
  for (auto& session : live_sessions())
    asio::post(session->executor(), [session] { session->close_if_idle(); });
  // In-flight requests finish and their connections close; WebSocket peers answer the 1001
  // close frame (or time out) and their sessions end. Whatever is left at the deadline is cut.
  const auto deadline = Clock::now() + std::chrono::seconds(options.shutdown_grace_seconds);
  while ((metrics.in_flight() > 0 || !live_sessions().empty()) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (auto& session : live_sessions())
    asio::post(session->executor(), [session] { session->close(); });
  // Give the closed sessions a moment to unwind before the loop stops under them.
  const auto unwind = Clock::now() + std::chrono::milliseconds(500);
  while (!live_sessions().empty() && Clock::now() < unwind)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ioc.stop();
  for (auto& t : threads)
    if (t.joinable()) t.join();
  workers.join();
  heavy_workers.join();
  transfer_workers.join();
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() {
  stop();
}

void Server::start() {
  impl_->start();
}

std::uint16_t Server::port() const {
  return impl_->bound_port;
}

void Server::wait_for_signal() {
  asio::io_context signals_context;
  asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int signal) {
    log::info("shutting down", {{"signal", signal}});
  });
  signals_context.run();
}

void Server::stop() {
  if (impl_) impl_->stop();
}

}  // namespace karma::http
