#include "http/ws_connection.hpp"

#include "core/log.hpp"

namespace karma::http {

WsConnection::WsConnection(beast::tcp_stream&& stream, std::size_t queue_limit)
    : stream_(std::move(stream)), queue_limit_(queue_limit), cutoff_(stream_.get_executor()) {}

void WsConnection::send(std::string text) {
  send_shared(std::make_shared<const std::string>(std::move(text)));
}

void WsConnection::send_shared(Message text) {
  const std::size_t size = text->size();
  if (pending_bytes_.fetch_add(size) + size > queue_limit_) {
    pending_bytes_.fetch_sub(size);
    refused_.fetch_add(1);
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->overflow(); });
    return;
  }
  asio::post(stream_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
    if (self->closing_) return self->sent(text->size());
    self->queue_.push_back(std::move(text));
    if (!self->writing_) self->write_next();
  });
}

void WsConnection::close(std::string reason) {
  close_with(websocket::close_code::normal, std::move(reason));
}

void WsConnection::close(int code, std::string reason) {
  close_with(static_cast<websocket::close_code>(code), std::move(reason));
}

void WsConnection::close_with(websocket::close_code code, std::string reason) {
  asio::post(stream_.get_executor(),
             [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
               if (self->closing_) return;
               self->closing_ = true;
               self->close_reason_ = websocket::close_reason(code, reason);
               if (!self->writing_) self->send_close();
             });
}

void WsConnection::terminate() {
  cutoff_.cancel();
  boost::system::error_code ec;
  beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(stream_).socket().close(ec);
}

std::size_t WsConnection::drop_queue() {
  std::size_t dropped = 0;
  while (queue_.size() > (writing_ ? 1u : 0u)) {
    sent(queue_.back()->size());
    queue_.pop_back();
    ++dropped;
  }
  return dropped;
}

void WsConnection::overflow() {
  if (closing_) return;  // said once
  const std::size_t dropped = drop_queue() + refused_.exchange(0);
  log::warn("websocket peer too slow: closing", {{"queuedBytes", pending_bytes_.load()},
                                                 {"limit", queue_limit_},
                                                 {"droppedMessages", dropped}});
  // The notice goes out past the limit: it is the last message.
  if (auto application = application_.lock()) {
    std::string notice = application->lagged_notice(dropped);
    if (!notice.empty()) {
      auto message = std::make_shared<const std::string>(std::move(notice));
      pending_bytes_.fetch_add(message->size());
      queue_.push_back(std::move(message));
    }
  }
  closing_ = true;
  close_reason_ =
      websocket::close_reason(websocket::close_code::try_again_later, "too many unsent messages");
  if (!writing_) {
    if (queue_.empty())
      send_close();
    else
      write_next();
  }
  cutoff_.expires_after(std::chrono::seconds(5));
  cutoff_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->terminate();
  });
}

void WsConnection::write_next() {
  writing_ = true;
  stream_.text(true);
  stream_.async_write(asio::buffer(*queue_.front()),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->sent(self->queue_.front()->size());
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

void WsConnection::send_close() {
  stream_.async_close(close_reason_, [self = shared_from_this()](boost::system::error_code) {
    self->cutoff_.cancel();
  });
}

asio::awaitable<void> WsConnection::serve(std::shared_ptr<WsConnection> self,
                                          bhttp::request<bhttp::string_body> request,
                                          std::shared_ptr<WebSocketSession> application,
                                          asio::thread_pool& workers,
                                          std::chrono::seconds idle_timeout) {
  self->application_ = application;
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = idle_timeout;
  self->stream_.set_option(timeouts);
  self->stream_.read_message_max(application->max_frame_bytes());
  // Each message goes out as one frame, straight from its shared buffer: the stream's own
  // write buffer (4 KiB by default, for fragmenting) would be idle memory on every connection.
  self->stream_.auto_fragment(false);
  self->stream_.write_buffer_bytes(256);
  auto [accept_ec] = co_await self->stream_.async_accept(request, nothrow_awaitable);
  request = {};  // its headers are not needed for the connection's life
  if (accept_ec) co_return;

  std::shared_ptr<WebSocketConnection> connection = self;
  auto open = [&application, &connection]() noexcept {
    try {
      application->on_open(connection);
    } catch (const std::exception& e) {
      log::error("websocket open failed", {{"error", e.what()}});
      connection->close("internal error");
    }
    return true;
  };
  co_await run_on(workers, open);
  beast::flat_buffer frame;
  for (;;) {
    auto [read_ec, n] = co_await self->stream_.async_read(frame, nothrow_awaitable);
    if (read_ec) break;
    std::string text = beast::buffers_to_string(frame.data());
    frame.clear();
    frame.shrink_to_fit();  // an idle connection holds no read buffer
    if (!self->stream_.got_text() && application->close_on_binary()) {
      self->close_with(websocket::close_code::unknown_data, "binary frames are not accepted");
      continue;
    }
    if (!self->stream_.got_text()) {
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
    co_await run_on(workers, deliver);
  }
  auto closed = [&application]() noexcept {
    try {
      application->on_close();
    } catch (const std::exception& e) {
      log::error("websocket close failed", {{"error", e.what()}});
    }
    return true;
  };
  co_await run_on(workers, closed);
}

}  // namespace karma::http
