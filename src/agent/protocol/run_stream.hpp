#pragma once
// The order rules of a run's events, whatever the model streams: one text message or reasoning
// block open at a time, closed before a tool call, a step or the end; tool-call arguments go to
// the call they name, however interleaved; a call is closed before its result; nothing follows
// RUN_FINISHED or RUN_ERROR. Callers say what happened; RunStream emits what the protocol
// allows, in order, through `emit`.
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/protocol/events.hpp"

namespace karma::agent {

class RunStream {
 public:
  using Emit = std::function<void(const Event&)>;
  explicit RunStream(Emit emit);

  void started(const std::string& thread_id, const std::string& run_id);
  // Appends to message `id`, opening it (and closing anything else open) when it is not open.
  void text(const std::string& message_id, std::string_view delta);
  void reasoning(const std::string& message_id, std::string_view delta);
  // Closes the open text message or reasoning block, if any.
  void end_message();
  // `client_runs`: a frontend tool, whose result the client produces.
  void tool_call_start(const std::string& id, const std::string& name,
                       const std::string& parent_message_id, bool client_runs = false);
  // Ignored for a call that is not open (a provider's stray delta).
  void tool_call_args(const std::string& id, std::string_view delta);
  void tool_call_end(const std::string& id);
  void tool_call_result(const std::string& message_id, const std::string& tool_call_id,
                        std::string_view content);
  void step_started(const std::string& name);
  void step_finished(const std::string& name);
  void state_snapshot(const boost::json::value& state);
  void state_delta(const boost::json::array& patch);
  void messages_snapshot(const boost::json::array& messages);
  void custom(const std::string& name, const boost::json::value& value);
  // Ends the run (closing whatever is open); later calls emit nothing.
  void finished(const boost::json::object& outcome);
  void error(std::string_view message, std::string_view code);

  bool ended() const { return ended_; }
  const std::set<std::string>& open_tool_calls() const { return open_calls_; }

 private:
  bool live() const { return started_ && !ended_; }
  void close_open();
  void emit(Event event);

  Emit emit_;
  bool ended_ = false;
  bool started_ = false;
  std::string open_message_;  // text or reasoning, by open_reasoning_
  bool open_reasoning_ = false;
  std::set<std::string> open_calls_;
  std::set<std::string> ended_calls_;
  std::vector<std::string> open_steps_;
};

}  // namespace karma::agent
