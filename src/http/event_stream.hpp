#pragma once
// Server-Sent Events responses as features see them: no Beast here. A handler validates the
// request as any other, then returns Response::event_stream(start); once the response head is
// out, `start` runs on a worker with the stream's sink and returns at once, leaving producers
// (bus subscriptions, a run's thread, timers) to write to the sink from wherever they are. No
// thread waits on an idle stream: the server sends a heartbeat comment after each silence.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace karma::http {

// The producing end of one event stream. Thread-safe.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Queues one event; false once the stream is closed, whoever closed it: stop producing.
  // What is queued and unsent is bounded: a client that falls that far behind is cut off.
  virtual bool send(std::string_view data, std::string_view event = {},
                    std::string_view id = {}) = 0;
  // Ends the response once what is queued has gone out.
  virtual void close() = 0;
  virtual bool closed() const = 0;
  // Runs `callback` once, on a worker, when the stream closes for any reason: the client went
  // away or was cut off, close() was called, the server shuts down. At once, on the calling
  // thread, if it is already closed.
  virtual void on_close(std::function<void()> callback) = 0;
};

using EventStreamStart = std::function<void(std::shared_ptr<EventSink>)>;

// Appends one event in the text/event-stream format: optional "event:" and "id:" lines, then
// one "data:" line per line of `data` (CR, LF and CRLF all end a line), then a blank line.
// Line breaks in `event` and `id`, which would end the field early, become spaces.
void append_event(std::string& out, std::string_view data, std::string_view event = {},
                  std::string_view id = {});

}  // namespace karma::http
