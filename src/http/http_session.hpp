#pragma once
#include <array>
#include <optional>

#include "http/request_parser.hpp"
#include "http/router.hpp"
#include "http/server_internal.hpp"

namespace karma::http {

class WsConnection;
class SseSink;

// One accepted connection: HTTP/1.1 requests one after another, until it closes or becomes a
// WebSocket (ws_connection.hpp) or an event stream (sse_sink.hpp).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server, std::uint64_t id);
  ~Session();

  static asio::awaitable<void> run(std::shared_ptr<Session> self);

  // The connection's strand (also once its stream belongs to a WebSocket).
  const asio::any_io_executor& executor() const { return executor_; }
  // After run(): an accepted upgrade starts the WebSocket.
  void upgrade_if_accepted();
  // Runs on the session's strand: a connection waiting for its next request is closed, one
  // mid-request finishes it (the response then carries Connection: close).
  // WebSocket peers are told the server is going away; they reconnect elsewhere.
  void close_if_idle();
  void close();

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

  const asio::any_io_executor executor_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{kReadBufferBytes};
  Server::Impl& server_;
  std::uint64_t id_;
  std::string remote_;
  bool idle_ = true;
  std::shared_ptr<WsConnection> ws_;  // set once upgraded
  // An upgrade accepted by the HTTP loop, for upgrade_if_accepted().
  std::optional<BeastRequest> upgrade_request_;
  std::shared_ptr<WebSocketSession> upgrade_;
  std::shared_ptr<SseSink> events_;  // set while an event stream is served
};

}  // namespace karma::http
