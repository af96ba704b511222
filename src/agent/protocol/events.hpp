#pragma once
// The one event stream a run produces, before any encoding. Names follow AG-UI's; the encoders
// (agui_encoder, contract_encoder) turn each into the bytes of one dialect. RunStream (below)
// is the only producer: it owns the order rules both dialects need.
#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace karma::agent {

enum class EventType {
  run_started,        // id: run id, name: thread id
  run_finished,       // value: the outcome {type: success|interrupt|cancelled, ...}
  run_error,          // text: message, name: code
  step_started,       // name
  step_finished,      // name
  text_start,         // id: message id
  text_content,       // id, text: delta
  text_end,           // id
  reasoning_start,    // id
  reasoning_content,  // id, text
  reasoning_end,      // id
  tool_call_start,    // id: tool call id, name: tool, parent: message id, client_runs
  tool_call_args,     // id, text: delta of the JSON arguments
  tool_call_end,      // id
  tool_call_result,   // id: message id, parent: tool call id, text: content
  state_snapshot,     // value: the state
  state_delta,        // value: an RFC 6902 patch
  messages_snapshot,  // value: the thread's messages, AG-UI shaped
  custom,             // name, value
};

struct Event {
  EventType type;
  std::string id;
  std::string name;
  std::string text;
  std::string parent;
  boost::json::value value;
  bool client_runs = false;  // tool_call_start: a frontend tool (the client runs it, no result)
};

// Turns events into the frames of one dialect: each frame is the data of one SSE event and, for
// dialects that name them, its "event:" name.
class Encoder {
 public:
  using Send = std::function<void(std::string_view data, std::string_view event)>;
  virtual ~Encoder() = default;
  virtual void encode(const Event& event, const Send& send) = 0;
  // Frames after the last event (the contract's "[DONE]").
  virtual void close(const Send&) {}
};

}  // namespace karma::agent
