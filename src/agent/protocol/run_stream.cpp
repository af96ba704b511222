#include "agent/protocol/run_stream.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace karma::agent {

RunStream::RunStream(Emit emit) : emit_(std::move(emit)) {}

void RunStream::emit(Event event) {
  if (ended_ || (!started_ && event.type != EventType::run_started)) return;
  emit_(event);
}

void RunStream::started(const std::string& thread_id, const std::string& run_id) {
  if (started_) return;
  started_ = true;
  emit({EventType::run_started, run_id, thread_id, {}, {}, {}});
}

void RunStream::end_message() {
  if (open_message_.empty()) return;
  emit({open_reasoning_ ? EventType::reasoning_end : EventType::text_end,
        open_message_,
        {},
        {},
        {},
        {}});
  open_message_.clear();
}

void RunStream::close_open() {
  end_message();
  for (const auto& id : std::set<std::string>(open_calls_)) tool_call_end(id);
  for (auto it = open_steps_.rbegin(); it != open_steps_.rend(); ++it)
    emit({EventType::step_finished, {}, *it, {}, {}, {}});
  open_steps_.clear();
}

void RunStream::text(const std::string& message_id, std::string_view delta) {
  if (!live()) return;
  if (delta.empty() && open_message_ == message_id && !open_reasoning_) return;
  if (open_message_ != message_id || open_reasoning_) {
    end_message();
    open_message_ = message_id;
    open_reasoning_ = false;
    emit({EventType::text_start, message_id, {}, {}, {}, {}});
  }
  if (!delta.empty()) emit({EventType::text_content, message_id, {}, std::string(delta), {}, {}});
}

void RunStream::reasoning(const std::string& message_id, std::string_view delta) {
  if (!live()) return;
  if (open_message_ != message_id || !open_reasoning_) {
    end_message();
    open_message_ = message_id;
    open_reasoning_ = true;
    emit({EventType::reasoning_start, message_id, {}, {}, {}, {}});
  }
  if (!delta.empty())
    emit({EventType::reasoning_content, message_id, {}, std::string(delta), {}, {}});
}

void RunStream::tool_call_start(const std::string& id, const std::string& name,
                                const std::string& parent_message_id, bool client_runs) {
  if (!live()) return;
  if (open_calls_.contains(id) || ended_calls_.contains(id)) return;
  end_message();
  open_calls_.insert(id);
  emit({EventType::tool_call_start, id, name, {}, parent_message_id, {}, client_runs});
}

void RunStream::tool_call_args(const std::string& id, std::string_view delta) {
  if (!open_calls_.contains(id) || delta.empty()) return;
  emit({EventType::tool_call_args, id, {}, std::string(delta), {}, {}});
}

void RunStream::tool_call_end(const std::string& id) {
  if (!open_calls_.erase(id)) return;
  ended_calls_.insert(id);
  emit({EventType::tool_call_end, id, {}, {}, {}, {}});
}

void RunStream::tool_call_result(const std::string& message_id, const std::string& tool_call_id,
                                 std::string_view content) {
  end_message();
  tool_call_end(tool_call_id);
  emit({EventType::tool_call_result, message_id, {}, std::string(content), tool_call_id, {}});
}

void RunStream::step_started(const std::string& name) {
  if (!live() || std::find(open_steps_.begin(), open_steps_.end(), name) != open_steps_.end())
    return;
  end_message();
  open_steps_.push_back(name);
  emit({EventType::step_started, {}, name, {}, {}, {}});
}

void RunStream::step_finished(const std::string& name) {
  const auto it = std::find(open_steps_.begin(), open_steps_.end(), name);
  if (it == open_steps_.end()) return;
  end_message();
  open_steps_.erase(it);
  emit({EventType::step_finished, {}, name, {}, {}, {}});
}

void RunStream::state_snapshot(const boost::json::value& state) {
  emit({EventType::state_snapshot, {}, {}, {}, {}, state});
}

void RunStream::state_delta(const boost::json::array& patch) {
  if (!patch.empty()) emit({EventType::state_delta, {}, {}, {}, {}, patch});
}

void RunStream::messages_snapshot(const boost::json::array& messages) {
  end_message();
  emit({EventType::messages_snapshot, {}, {}, {}, {}, messages});
}

void RunStream::custom(const std::string& name, const boost::json::value& value) {
  emit({EventType::custom, {}, name, {}, {}, value});
}

void RunStream::finished(const boost::json::object& outcome) {
  close_open();
  emit({EventType::run_finished, {}, {}, {}, {}, outcome});
  ended_ = true;
}

void RunStream::error(std::string_view message, std::string_view code) {
  if (!started_) return;
  close_open();
  emit({EventType::run_error, {}, std::string(code), std::string(message), {}, {}});
  ended_ = true;
}

}  // namespace karma::agent
