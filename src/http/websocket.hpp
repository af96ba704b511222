#pragma once
// WebSocket routes as features see them: no Beast here. The route's handler runs on a worker
// thread when the upgrade request arrives; it authenticates and returns a session (or throws
// AppError, answered as a plain HTTP error). The server then upgrades and feeds the session.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace karma::http {

class Request;

// A live connection. Thread-safe: messages go out in the order sent.
class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  virtual void send(std::string text) = 0;
  // The same for a message many connections send: the buffer is shared, never copied.
  virtual void send_shared(std::shared_ptr<const std::string> text) = 0;
  // Sends a close frame (normal closure) with `reason`; later sends are dropped.
  virtual void close(std::string reason) = 0;
  // The same with a close code of the application's (RFC 6455 §7.4, e.g. 4001).
  virtual void close(int code, std::string reason) = 0;
};

// One accepted connection's application side. Calls arrive one at a time, on worker threads,
// so they may use the database.
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  virtual void on_open(std::shared_ptr<WebSocketConnection> connection) = 0;
  virtual void on_message(std::string_view text) = 0;  // text frames only
  virtual void on_close() = 0;
  // A binary frame closes the connection with 1003 (else it is answered with an error message).
  virtual bool close_on_binary() const { return false; }
  // Larger frames close the connection with 1009.
  virtual std::size_t max_frame_bytes() const { return 64 * 1024; }
  // The last message a connection gets when its peer fell so far behind that `dropped`
  // messages were thrown away (it is then closed with 1013); empty: none.
  virtual std::string lagged_notice(std::size_t /*dropped*/) const { return {}; }
};

using WebSocketHandler = std::function<std::shared_ptr<WebSocketSession>(Request&)>;

}  // namespace karma::http
