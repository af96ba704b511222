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

// The value as an object: itself, or {value} around anything else.
bj::object as_props(const bj::value& v) {
  if (const auto* o = v.if_object()) return *o;
  if (v.is_null()) return {};
  return {{"value", v}};
}

}  // namespace

bj::array approval_options() {
  return {bj::object{{"label", "Approve"}, {"value", "resolved"}},
          bj::object{{"label", "Reject"}, {"value", "cancelled"}}};
}

std::string dotted_path(std::string_view pointer) {
  std::string out;
  for (std::size_t i = 0; i < pointer.size(); ++i) {
    const char c = pointer[i];
    if (c == '/') {
      if (i > 0) out += '.';
    } else if (c == '~' && i + 1 < pointer.size() &&
               (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      out += pointer[++i] == '0' ? '~' : '/';
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// The web app's own event types (webapp/src/types/api.ts, API.md §7): the fields they name are
// binding; Karma's additions (messageId, threadId, outcome …) ride along as extra fields.
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
        event(
            "progress",
            {{"percentage", 0}, {"message", "Run started"}, {"threadId", e.name}, {"runId", e.id}});
        break;
      case EventType::run_finished: {
        const auto& outcome = e.value.as_object();
        if (const auto* interrupts = outcome.if_contains("interrupts"))
          for (const auto& interrupt : interrupts->as_array()) {
            bj::object fields = interrupt.as_object();
            fields["options"] = approval_options();
            event("interrupt", std::move(fields));
          }
        event("progress", {{"percentage", 100}, {"message", "Run finished"}});
        bj::object done{{"summary",
                         {{"messagesCount", messages_},
                          {"toolsCalled", tools_called_},
                          {"statesUpdated", states_updated_}}},
                        {"outcome", outcome.at("type")}};
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
      // A run has no known number of steps: each finished step halves what is left.
      case EventType::step_started:
        event("progress",
              {{"percentage", percentage()}, {"message", e.name + " started"}, {"step", e.name}});
        break;
      case EventType::step_finished:
        ++steps_done_;
        event("progress",
              {{"percentage", percentage()}, {"message", e.name + " finished"}, {"step", e.name}});
        break;
      case EventType::text_start:
        ++messages_;
        break;
      case EventType::text_content:
        event("message", {{"messageId", e.id},
                          {"role", "assistant"},
                          {"content", e.text},
                          {"metadata", {{"timestamp", now_ms()}}}});
        break;
      case EventType::reasoning_start:
        event("thinking", {{"status", "started"}, {"messageId", e.id}});
        break;
      case EventType::reasoning_content:
        event("thinking", {{"status", "thinking"}, {"messageId", e.id}, {"content", e.text}});
        break;
      case EventType::reasoning_end:
        event("thinking", {{"status", "done"}, {"messageId", e.id}});
        break;
      case EventType::tool_call_start:
        calls_[e.id] = {e.name, {}, e.client_runs};
        break;
      case EventType::tool_call_args:
        if (auto it = calls_.find(e.id); it != calls_.end()) it->second.args += e.text;
        break;
      case EventType::tool_call_end:
        if (auto it = calls_.find(e.id); it != calls_.end()) {
          const Call& call = it->second;
          bj::object fields{{"id", e.id},
                            {"name", call.name},
                            {"execution", call.client_runs ? "frontend" : "backend"}};
          boost::system::error_code ec;
          bj::value args = bj::parse(call.args.empty() ? "{}" : call.args, ec);
          if (!ec && args.is_object()) {
            fields["arguments"] = std::move(args);
          } else {  // what a model sent that is no object: the app still gets an object
            fields["arguments"] = bj::object{};
            fields["argumentsText"] = call.args;
          }
          ++tools_called_;
          event("tool_call", std::move(fields));
          calls_.erase(it);
        }
        break;
      case EventType::tool_call_result: {
        bj::value result = parsed_or_text(e.text);
        bj::object fields{{"id", e.parent}};
        // A tool's failure is its result {error, code}: the app reads it from `error`.
        if (const auto* o = result.if_object())
          if (const auto* error = o->if_contains("error"); error && error->is_string())
            fields["error"] = *error;
        fields["result"] = std::move(result);
        event("tool_result", std::move(fields));
        break;
      }
      case EventType::state_snapshot:
        ++states_updated_;
        event("state_update", {{"path", ""}, {"value", e.value}, {"operation", "set"}});
        break;
      case EventType::state_delta:
        for (const auto& op : e.value.as_array()) {
          const auto& o = op.as_object();
          const bool removal = o.at("op") == "remove";
          bj::object fields{{"path", dotted_path(o.at("path").as_string())},
                            {"operation", removal ? "delete" : "set"}};
          // The app's type has `value` on every update; a removal's is null.
          fields["value"] = !removal && o.contains("value") ? o.at("value") : bj::value();
          ++states_updated_;
          event("state_update", std::move(fields));
        }
        break;
      case EventType::custom: {
        // A frontend tool's call ({action, args, toolCallId}) names the component it shows.
        bj::object value = as_props(e.value);
        bj::object fields;
        const auto* action = value.if_contains("action");
        fields["component"] = action && action->is_string() ? *action : bj::value(e.name);
        const auto* args = value.if_contains("args");
        fields["props"] = args && args->is_object() ? *args : bj::value(std::move(value));
        if (const auto* call =
                e.value.is_object() ? e.value.as_object().if_contains("toolCallId") : nullptr)
          fields["toolCallId"] = *call;
        event("ui", std::move(fields));
        break;
      }
      case EventType::text_end:
      case EventType::messages_snapshot:
        break;
    }
  }

  void close(const Send& send) override { send("[DONE]", {}); }

 private:
  struct Call {
    std::string name, args;
    bool client_runs = false;
  };
  int percentage() const { return 100 - 100 / (steps_done_ + 1); }

  int steps_done_ = 0;
  int messages_ = 0;
  int tools_called_ = 0;
  int states_updated_ = 0;
  std::map<std::string, Call> calls_;
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
