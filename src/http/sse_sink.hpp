#pragma once
#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/event_stream.hpp"
#include "http/server_internal.hpp"

namespace karma::http {

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
  // What the client sends (read only to learn when it goes away).
  std::array<char, 512> discarded;

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

}  // namespace karma::http
