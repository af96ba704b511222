#include "agent/protocol/encoders.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/json.hpp"

namespace karma::agent {

namespace bj = boost::json;

namespace {

class AguiEncoder final : public Encoder {
 public:
  AguiEncoder(bool protocol_1_0, std::string thread_id, std::string run_id)
      : protocol_1_0_(protocol_1_0), thread_id_(std::move(thread_id)), run_id_(std::move(run_id)) {}

  void encode(const Event& e, const Send& send) override {
    const auto event = [&](std::string_view type, bj::object fields = {}) {
      bj::object data{{"type", type}};
      for (auto& field : fields) data.emplace(field.key(), std::move(field.value()));
      data["timestamp"] = now_ms();
      send(json::serialize(data), {});
    };
    switch (e.type) {
      case EventType::run_started: {
        bj::object fields{{"threadId", thread_id_}, {"runId", run_id_}};
        if (protocol_1_0_) fields["protocolVersion"] = "1.0";
        event("RUN_STARTED", std::move(fields));
        break;
      }
      case EventType::run_finished: {
        bj::object fields{{"threadId", thread_id_}, {"runId", run_id_}};
        const auto& outcome = e.value.as_object();
        const auto* type = outcome.if_contains("type");
        if (protocol_1_0_)
          fields["outcome"] = outcome;
        else if (type && *type == "interrupt")
          fields["outcome"] = outcome;
        else if (type && *type == "success")  // 0.0.x's success outcome is closed: type alone
          fields["outcome"] = bj::object{{"type", "success"}};
        event("RUN_FINISHED", std::move(fields));
        break;
      }
      case EventType::run_error: {
        bj::object fields{{"message", e.text}};
        if (!e.name.empty()) fields["code"] = e.name;
        event("RUN_ERROR", std::move(fields));
        break;
      }
      case EventType::step_started:
        event("STEP_STARTED", {{"stepName", e.name}});
        break;
      case EventType::step_finished:
        event("STEP_FINISHED", {{"stepName", e.name}});
        break;
      case EventType::text_start:
        event("TEXT_MESSAGE_START", {{"messageId", e.id}, {"role", "assistant"}});
        break;
      case EventType::text_content:
        event("TEXT_MESSAGE_CONTENT", {{"messageId", e.id}, {"delta", e.text}});
        break;
      case EventType::text_end:
        event("TEXT_MESSAGE_END", {{"messageId", e.id}});
        break;
      case EventType::reasoning_start:
        event("REASONING_START", {{"messageId", e.id}});
        event("REASONING_MESSAGE_START", {{"messageId", e.id}, {"role", "reasoning"}});
        break;
      case EventType::reasoning_content:
        event("REASONING_MESSAGE_CONTENT", {{"messageId", e.id}, {"delta", e.text}});
        break;
      case EventType::reasoning_end:
        event("REASONING_MESSAGE_END", {{"messageId", e.id}});
        event("REASONING_END", {{"messageId", e.id}});
        break;
      case EventType::tool_call_start: {
        bj::object fields{{"toolCallId", e.id}, {"toolCallName", e.name}};
        if (!e.parent.empty()) fields["parentMessageId"] = e.parent;
        event("TOOL_CALL_START", std::move(fields));
        break;
      }
      case EventType::tool_call_args:
        event("TOOL_CALL_ARGS", {{"toolCallId", e.id}, {"delta", e.text}});
        break;
      case EventType::tool_call_end:
        event("TOOL_CALL_END", {{"toolCallId", e.id}});
        break;
      case EventType::tool_call_result:
        event(
            "TOOL_CALL_RESULT",
            {{"messageId", e.id}, {"toolCallId", e.parent}, {"content", e.text}, {"role", "tool"}});
        break;
      case EventType::state_snapshot:
        event("STATE_SNAPSHOT", {{"snapshot", e.value}});
        break;
      case EventType::state_delta:
        event("STATE_DELTA", {{"delta", e.value}});
        break;
      case EventType::messages_snapshot:
        event("MESSAGES_SNAPSHOT", {{"messages", e.value}});
        break;
      case EventType::custom:
        event("CUSTOM", {{"name", e.name}, {"value", e.value}});
        break;
    }
  }

 private:
  const bool protocol_1_0_;
  const std::string thread_id_, run_id_;
};

// JSON text as a value when it parses, else the text itself.
bj::value parsed_or_text(const std::string& text) {
  boost::system::error_code ec;
  bj::value v = bj::parse(text, ec);
  if (ec) return bj::value(text);
  return v;
}

class ContractEncoder final : public Encoder {
 public:
  void encode(const Event& e, const Send& send) override {
    const auto event = [&](std::string_view type, bj::object fields) {
      bj::object data{{"type", type}};
      for (auto& field : fields) data.emplace(field.key(), std::move(field.value()));
      send(json::serialize(data), type);
    };
    switch (e.type) {
      case EventType::run_started:
        event("progress", {{"status", "started"}, {"threadId", e.name}, {"runId", e.id}});
        break;
      case EventType::run_finished: {
        const auto& outcome = e.value.as_object();
        if (const auto* interrupts = outcome.if_contains("interrupts"))
          for (const auto& interrupt : interrupts->as_array())
            event("interrupt", interrupt.as_object());
        bj::object done{{"summary", summary_}, {"outcome", outcome.at("type")}};
        if (const auto* pending = outcome.if_contains("pendingToolCallIds"))
          done["pendingToolCallIds"] = *pending;
        event("done", std::move(done));
        break;
      }
      case EventType::run_error: {
        bj::object fields{{"message", e.text}};
        if (!e.name.empty()) fields["code"] = e.name;
        event("error", std::move(fields));
        break;
      }
      case EventType::step_started:
        event("progress", {{"step", e.name}, {"status", "started"}});
        break;
      case EventType::step_finished:
        event("progress", {{"step", e.name}, {"status", "finished"}});
        break;
      case EventType::text_content:
        if (!summary_.empty() && summary_message_ != e.id) summary_ += '\n';
        summary_message_ = e.id;
        summary_ += e.text;
        event("message", {{"messageId", e.id}, {"role", "assistant"}, {"content", e.text}});
        break;
      case EventType::reasoning_content:
        event("thinking", {{"messageId", e.id}, {"content", e.text}});
        break;
      case EventType::tool_call_start:
        calls_[e.id] = {e.name, {}};
        break;
      case EventType::tool_call_args:
        if (auto it = calls_.find(e.id); it != calls_.end()) it->second.second += e.text;
        break;
      case EventType::tool_call_end:
        if (auto it = calls_.find(e.id); it != calls_.end()) {
          event("tool_call", {{"toolCallId", e.id},
                              {"name", it->second.first},
                              {"args", parsed_or_text(it->second.second)}});
          calls_.erase(it);
        }
        break;
      case EventType::tool_call_result:
        event("tool_result", {{"toolCallId", e.parent}, {"result", parsed_or_text(e.text)}});
        break;
      case EventType::state_snapshot:
        event("state_update", {{"path", ""}, {"value", e.value}, {"operation", "set"}});
        break;
      case EventType::state_delta:
        for (const auto& op : e.value.as_array()) {
          const auto& o = op.as_object();
          const bool removal = o.at("op") == "remove";
          bj::object fields{{"path", o.at("path")}, {"operation", removal ? "delete" : "set"}};
          if (!removal) fields["value"] = o.contains("value") ? o.at("value") : bj::value();
          event("state_update", std::move(fields));
        }
        break;
      case EventType::custom:
        if (e.name == "ui" || e.name == "progress")
          event(e.name, e.value.is_object() ? e.value.as_object() : bj::object{{"value", e.value}});
        else
          event("ui", {{"name", e.name}, {"value", e.value}});
        break;
      case EventType::text_start:
      case EventType::text_end:
      case EventType::reasoning_start:
      case EventType::reasoning_end:
      case EventType::messages_snapshot:
        break;
    }
  }

  void close(const Send& send) override { send("[DONE]", {}); }

 private:
  std::string summary_;          // the run's text, for `done`
  std::string summary_message_;  // the message summary_ ends in
  std::map<std::string, std::pair<std::string, std::string>> calls_;  // id → (name, args)
};

}  // namespace

std::unique_ptr<Encoder> agui_encoder(bool protocol_1_0, std::string thread_id,
                                      std::string run_id) {
  return std::make_unique<AguiEncoder>(protocol_1_0, std::move(thread_id), std::move(run_id));
}

std::unique_ptr<Encoder> contract_encoder() {
  return std::make_unique<ContractEncoder>();
}

}  // namespace karma::agent
