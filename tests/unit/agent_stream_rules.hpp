#pragma once
// What a provider may stream, as random bytes, and the rules @ag-ui/client's verifier holds a
// run's events to (plus the contract's): shared by the randomized unit test and the fuzz target,
// which both drive RunStream with any sequence of calls and check every encoder's output.
#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "agent/protocol/encoders.hpp"
#include "agent/protocol/run_stream.hpp"

namespace karma::agent::testing {

struct Frame {
  std::string data, event;
};

// A run through RunStream into one encoder, as the frames it sent.
struct EncodedRun {
  explicit EncodedRun(std::unique_ptr<Encoder> e)
      : encoder(std::move(e)),
        stream([this](const Event& event) { encoder->encode(event, send()); }) {}
  Encoder::Send send() {
    return [this](std::string_view data, std::string_view event) {
      frames.push_back({std::string(data), std::string(event)});
    };
  }
  std::unique_ptr<Encoder> encoder;
  RunStream stream;
  std::vector<Frame> frames;
};

// Applies the calls `bytes` spell to `stream`, as a runtime would: started first, finished last
// (when nothing ended it), anything in between in any order.
inline void drive(std::span<const std::uint8_t> bytes, RunStream& stream) {
  static const char* kDeltas[] = {"a", "{\"x\":", "1}", "你好", "\n", "\"", "data: x"};
  stream.started("thread", "run");
  std::size_t i = 0;
  const auto next = [&]() -> std::uint8_t { return i < bytes.size() ? bytes[i++] : 0; };
  while (i < bytes.size()) {
    const std::uint8_t op = next() % 15;
    const std::string id = std::to_string(next() % 4);
    const char* delta = kDeltas[next() % std::size(kDeltas)];
    switch (op) {
      case 0:
      case 1:
        stream.text("m" + id, delta);
        break;
      case 2:
        stream.reasoning("r" + id, delta);
        break;
      case 3:
        stream.end_message();
        break;
      case 4:
        stream.tool_call_start("c" + id, "tool" + id, "m" + id);
        break;
      case 5:
      case 6:
        stream.tool_call_args("c" + id, delta);
        break;
      case 7:
        stream.tool_call_end("c" + id);
        break;
      case 8:
        stream.tool_call_result("t" + id, "c" + id, delta);
        break;
      case 9:
        stream.step_started("s" + id);
        break;
      case 10:
        stream.step_finished("s" + id);
        break;
      case 11:
        stream.state_delta(boost::json::array{
            boost::json::object{{"op", "add"}, {"path", "/k" + id}, {"value", delta}}});
        break;
      case 12:
        stream.custom("ui", boost::json::object{{"id", id}});
        break;
      case 13:
        if (id == "0") stream.error("failed", "MODEL_ERROR");
        break;
      case 14:
        if (id == "0")
          stream.finished({{"type", "interrupt"},
                           {"interrupts", boost::json::array{boost::json::object{
                                              {"id", "i"}, {"reason", "approval"}}}}});
        else if (id == "1")
          stream.finished({{"type", "cancelled"}});
        break;
    }
  }
  stream.finished({{"type", "success"}});
}

inline bool has_null(const boost::json::value& v) {
  if (v.is_null()) return true;
  if (const auto* o = v.if_object())
    for (const auto& m : *o)
      if (has_null(m.value())) return true;
  if (const auto* a = v.if_array())
    for (const auto& x : *a)
      if (has_null(x)) return true;
  return false;
}

// The first rule the AG-UI frames break (as @ag-ui/client's verifier words them), or "".
inline std::string agui_violation(const std::vector<Frame>& frames) {
  std::set<std::string> texts, reasonings, reasoning_spans, calls, steps;
  bool started = false, ended = false;
  for (const Frame& f : frames) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(f.data, ec);
    if (ec || !v.is_object()) return "a frame is not a JSON object: " + f.data;
    if (has_null(v)) return "an explicit null: " + f.data;
    const auto& o = v.as_object();
    const std::string type(o.at("type").as_string());
    const auto id = [&](const char* key) {
      const auto* x = o.if_contains(key);
      return x && x->is_string() ? std::string(x->get_string()) : std::string();
    };
    if (ended) return "an event after the run ended: " + type;
    if (!started && type != "RUN_STARTED") return "the first event is " + type;
    if (type == "RUN_STARTED") {
      if (started) return "a second RUN_STARTED";
      started = true;
    } else if (type == "RUN_FINISHED" || type == "RUN_ERROR") {
      if (type == "RUN_FINISHED" && !(texts.empty() && reasonings.empty() &&
                                      reasoning_spans.empty() && calls.empty() && steps.empty()))
        return "RUN_FINISHED while something is still active";
      ended = true;
    } else if (type == "TEXT_MESSAGE_START") {
      if (!texts.insert(id("messageId")).second) return "a text message started twice";
    } else if (type == "TEXT_MESSAGE_CONTENT") {
      if (!texts.contains(id("messageId"))) return "content for no active text message";
    } else if (type == "TEXT_MESSAGE_END") {
      if (!texts.erase(id("messageId"))) return "TEXT_MESSAGE_END for no active text message";
    } else if (type == "REASONING_START") {
      if (!reasoning_spans.insert(id("messageId")).second) return "a reasoning span started twice";
    } else if (type == "REASONING_MESSAGE_START") {
      if (!reasonings.insert(id("messageId")).second) return "a reasoning message started twice";
    } else if (type == "REASONING_MESSAGE_CONTENT") {
      if (!reasonings.contains(id("messageId"))) return "reasoning for no active message";
    } else if (type == "REASONING_MESSAGE_END") {
      if (!reasonings.erase(id("messageId"))) return "REASONING_MESSAGE_END for no message";
    } else if (type == "REASONING_END") {
      if (!reasoning_spans.erase(id("messageId"))) return "REASONING_END for no span";
    } else if (type == "TOOL_CALL_START") {
      if (!calls.insert(id("toolCallId")).second) return "a tool call started twice";
      if (id("toolCallName").empty()) return "a tool call without a name";
    } else if (type == "TOOL_CALL_ARGS") {
      if (!calls.contains(id("toolCallId"))) return "arguments for no active tool call";
    } else if (type == "TOOL_CALL_END") {
      if (!calls.erase(id("toolCallId"))) return "TOOL_CALL_END for no active tool call";
    } else if (type == "TOOL_CALL_RESULT") {
      if (calls.contains(id("toolCallId"))) return "a result for a tool call still open";
    } else if (type == "STEP_STARTED") {
      if (!steps.insert(id("stepName")).second) return "a step started twice";
    } else if (type == "STEP_FINISHED") {
      if (!steps.erase(id("stepName"))) return "STEP_FINISHED for a step not started";
    }
  }
  if (!ended) return "the run never ended";
  return "";
}

// The shape of one contract event: the web app's own types (webapp/src/types/api.ts, API.md
// §7) name these fields; a renamed or missing one is a violation. Extra fields are allowed.
inline std::string contract_shape_violation(const boost::json::object& e) {
  const auto str = [&](const char* key) {
    const auto* v = e.if_contains(key);
    return v && v->is_string();
  };
  const auto optional_str = [&](const char* key) {
    const auto* v = e.if_contains(key);
    return !v || v->is_string();
  };
  const auto in = [&](const char* key, std::initializer_list<const char*> values) {
    const auto* v = e.if_contains(key);
    if (!v || !v->is_string()) return false;
    for (const char* allowed : values)
      if (v->get_string() == allowed) return true;
    return false;
  };
  const auto obj = [&](const char* key) {
    const auto* v = e.if_contains(key);
    return v && v->is_object();
  };
  const std::string type(e.at("type").as_string());
  bool ok = true;
  if (type == "message") {
    ok = in("role", {"assistant", "user", "system"}) && str("content");
  } else if (type == "tool_call") {
    ok = str("id") && str("name") && obj("arguments") && in("execution", {"frontend", "backend"});
  } else if (type == "tool_result") {
    ok = str("id") && e.contains("result") && optional_str("error");
  } else if (type == "state_update") {
    ok = str("path") && e.contains("value") && in("operation", {"set", "merge", "delete"});
  } else if (type == "ui") {
    ok = str("component") && obj("props");
  } else if (type == "thinking") {
    ok = str("status");
  } else if (type == "progress") {
    const auto* p = e.if_contains("percentage");
    ok = p && p->is_number() && p->to_number<double>() >= 0 && p->to_number<double>() <= 100 &&
         optional_str("message");
  } else if (type == "interrupt") {
    const auto* options = e.if_contains("options");
    ok = str("reason") && options && options->is_array() && !options->get_array().empty();
    if (ok)
      for (const auto& o : options->get_array())
        ok = ok && o.is_object() && o.as_object().contains("label") && o.at("label").is_string() &&
             o.as_object().contains("value") && o.at("value").is_string();
  } else if (type == "error") {
    ok = str("message") && optional_str("code");
  } else if (type == "done") {
    const auto* summary = e.if_contains("summary");
    ok = !summary || (summary->is_object() && summary->as_object().size() >= 3);
    if (ok && summary)
      for (const char* key : {"messagesCount", "toolsCalled", "statesUpdated"})
        ok = ok && summary->as_object().contains(key) && summary->at(key).is_int64();
  } else {
    return "an event type the contract does not have: " + type;
  }
  return ok ? "" : "a " + type + " event not shaped as the contract says";
}

// The contract's rules: every frame a named JSON event of the right shape, `done` or `error`
// last, then [DONE].
inline std::string contract_violation(const std::vector<Frame>& frames) {
  if (frames.size() < 2 || frames.back().data != "[DONE]") return "no [DONE] at the end";
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(frames[i].data, ec);
    if (ec || !v.is_object()) return "a frame is not a JSON object: " + frames[i].data;
    const std::string type(v.at("type").as_string());
    if (frames[i].event != type) return "event: " + frames[i].event + " names a " + type;
    if (auto why = contract_shape_violation(v.as_object()); !why.empty())
      return why + ": " + frames[i].data;
    // Values carry what the state or a tool holds; everything else omits what it lacks.
    v.as_object().erase("value");
    v.as_object().erase("result");
    if (has_null(v)) return "an explicit null: " + frames[i].data;
    const bool last = i + 2 == frames.size();
    if (last != (type == "done" || type == "error")) return "done or error must come last, once";
  }
  return "";
}

// Every dialect's frames for `bytes`, checked: the first rule broken, or "".
inline std::string check_all_encoders(std::span<const std::uint8_t> bytes) {
  for (const bool v1 : {true, false}) {
    EncodedRun run(agui_encoder(v1, "thread", "run"));
    drive(bytes, run.stream);
    if (auto why = agui_violation(run.frames); !why.empty())
      return std::string(v1 ? "AG-UI 1.0: " : "AG-UI 0.0.x: ") + why;
  }
  EncodedRun contract(contract_encoder());
  drive(bytes, contract.stream);
  contract.encoder->close(contract.send());
  if (auto why = contract_violation(contract.frames); !why.empty()) return "contract: " + why;
  return "";
}

}  // namespace karma::agent::testing
