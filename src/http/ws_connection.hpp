#pragma once
#include <memory>
#include <string>
#include <vector>

#include "http/server_internal.hpp"
#include "http/websocket.hpp"

namespace karma::http {

// The server side of one WebSocket: writes are queued on the connection's strand and sent one
// at a time; a close frame goes out after the queued messages. Queued messages are shared and
// immutable, so one event fanned out to many connections is one buffer. What is queued and
// unsent is bounded (counted when send() is called, before anything is posted): a peer that
// lets more pile up is told so (the application's lag notice), closed with 1013 and, should it
// not take even the close frame, cut off.
class WsConnection final : public WebSocketConnection,
                           public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(beast::tcp_stream&& stream, std::size_t queue_limit);

  // Accepts the upgrade and feeds `application` each frame (on `workers`) until the socket
  // closes. Runs on the connection's strand.
  static asio::awaitable<void> serve(std::shared_ptr<WsConnection> self,
                                     bhttp::request<bhttp::string_body> request,
                                     std::shared_ptr<WebSocketSession> application,
                                     asio::thread_pool& workers, std::chrono::seconds idle_timeout);

  void send(std::string text) override;
  void send_shared(std::shared_ptr<const std::string> text) override;
  void close(std::string reason) override;
  void close(int code, std::string reason) override;
  // Sends a close frame with `code` after the queued messages; later sends are dropped.
  void close_with(websocket::close_code code, std::string reason);
  // Drops the TCP connection at once (shutdown deadline passed, or a peer that takes nothing).
  // Runs on the strand.
  void terminate();

 private:
  using Message = std::shared_ptr<const std::string>;

  void sent(std::size_t bytes) { pending_bytes_.fetch_sub(bytes); }
  // Drops every queued message but the one being written; how many it dropped.
  std::size_t drop_queue();
  void overflow();
  void write_next();
  void send_close();

  websocket::stream<beast::tcp_stream> stream_;
  std::weak_ptr<WebSocketSession> application_;  // set by serve(): its lag notice
  // Queued messages, oldest first (from head_). A vector, not a deque: an idle connection
  // holds no block.
  struct Queue {
    std::vector<Message> items;
    std::size_t head = 0;
    bool empty() const { return head == items.size(); }
    std::size_t size() const { return items.size() - head; }
    Message& front() { return items[head]; }
    Message& back() { return items.back(); }
    void push_back(Message m) { items.push_back(std::move(m)); }
    void pop_back() { items.pop_back(); }
    void pop_front() {
      items[head++].reset();
      if (empty()) {
        if (items.capacity() > 64)
          items = {};  // a burst's room is given back
        else
          items.clear();
        head = 0;
      }
    }
  };
  Queue queue_;
  std::atomic<std::size_t> pending_bytes_{0};  // queued, or posted and not yet queued
  std::atomic<std::size_t> refused_{0};        // sends refused since the queue overflowed
  const std::size_t queue_limit_;
  asio::steady_timer cutoff_;
  bool writing_ = false;
  bool closing_ = false;
  websocket::close_reason close_reason_;
};

}  // namespace karma::http
