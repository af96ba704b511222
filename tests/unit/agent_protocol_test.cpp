// The agent's event order (RunStream) and its two dialects.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "agent/protocol/encoders.hpp"
#include "agent/protocol/run_stream.hpp"

namespace karma::agent {
namespace {

namespace bj = boost::json;

struct Frame {
  bj::value data;
  std::string event;
};

// A run encoded by `encoder`, as the frames it sent.
struct Recorder {
  explicit Recorder(std::unique_ptr<Encoder> e)
      : encoder(std::move(e)), stream([this](const Event& event) {
          encoder->encode(event, [this](std::string_view data, std::string_view name) {
            frames.push_back(
                {data == "[DONE]" ? bj::value("[DONE]") : bj::parse(data), std::string(name)});
          });
        }) {}
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& f : frames)
      out.emplace_back(f.data.is_string() ? "[DONE]" : f.data.at("type").as_string());
    return out;
  }
  void close() {
    encoder->close([this](std::string_view data, std::string_view) {
      frames.push_back({bj::value(std::string(data)), {}});
    });
  }
  std::unique_ptr<Encoder> encoder;
  RunStream stream;
  std::vector<Frame> frames;
};

using Types = std::vector<std::string>;

TEST(RunStream, ClosesTextBeforeToolCallsAndRoutesInterleavedArguments) {
  Recorder r(agui_encoder(true, "t", "r"));
  r.stream.text("m1", "Hello");
  EXPECT_TRUE(r.frames.empty()) << "nothing before RUN_STARTED";
  r.stream.started("t", "r");
  r.stream.text("m1", "Hel");
  r.stream.text("m1", "lo");
  r.stream.tool_call_start("c1", "searchDatabase", "m1");
  r.stream.tool_call_start("c2", "navigateTo", "m1");
  r.stream.tool_call_args("c2", "{\"path\":");
  r.stream.tool_call_args("c1", "{\"query\":\"x\"}");
  r.stream.tool_call_args("c9", "{}");  // a call never started
  r.stream.tool_call_args("c2", "\"/\"}");
  r.stream.tool_call_result("m2", "c1", "[]");
  r.stream.finished({{"type", "success"}, {"pendingToolCallIds", bj::array{"c2"}}});
  r.stream.text("m3", "late");
  EXPECT_EQ(r.types(),
            (Types{"RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT",
                   "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "TOOL_CALL_START", "TOOL_CALL_START",
                   "TOOL_CALL_ARGS", "TOOL_CALL_ARGS", "TOOL_CALL_ARGS", "TOOL_CALL_END",
                   "TOOL_CALL_RESULT", "TOOL_CALL_END", "RUN_FINISHED"}));
  EXPECT_EQ(r.frames[7].data.at("toolCallId"), "c2");
  EXPECT_EQ(r.frames[8].data.at("toolCallId"), "c1");
  EXPECT_EQ(r.frames[10].data.at("toolCallId"), "c1") << "a call ends before its result";
  EXPECT_EQ(r.frames[11].data.at("toolCallId"), "c1");
  EXPECT_EQ(r.frames[11].data.at("role"), "tool");
  EXPECT_EQ(r.frames[5].data.at("parentMessageId"), "m1");
  EXPECT_EQ(r.frames.back().data.at("outcome").at("pendingToolCallIds").at(0), "c2");
}

TEST(RunStream, ReasoningStepsAndErrorsCloseWhatIsOpen) {
  Recorder r(agui_encoder(true, "t", "r"));
  r.stream.started("t", "r");
  r.stream.step_started("plan");
  r.stream.reasoning("m1", "think");
  r.stream.text("m2", "answer");
  r.stream.step_finished("nope");  // never started
  r.stream.error("provider failed", "LLM_ERROR");
  r.stream.finished({{"type", "success"}});
  EXPECT_EQ(r.types(),
            (Types{"RUN_STARTED", "STEP_STARTED", "REASONING_START", "REASONING_MESSAGE_START",
                   "REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_END", "REASONING_END",
                   "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END",
                   "STEP_FINISHED", "RUN_ERROR"}));
  EXPECT_EQ(r.frames.back().data.at("code"), "LLM_ERROR");
  EXPECT_EQ(r.frames.back().data.at("message"), "provider failed");
}

TEST(AguiEncoder, OmitsOptionalFieldsAndSpeaksPre10WithoutAVersion) {
  Recorder v1(agui_encoder(true, "t", "r"));
  v1.stream.started("t", "r");
  v1.stream.tool_call_start("c", "x", "");
  v1.stream.finished({{"type", "cancelled"}});
  EXPECT_EQ(v1.frames[0].data.at("protocolVersion"), "1.0");
  EXPECT_FALSE(v1.frames[1].data.as_object().contains("parentMessageId"));
  EXPECT_EQ(v1.frames.back().data.at("outcome").at("type"), "cancelled");
  for (const auto& f : v1.frames)
    for (const auto& member : f.data.as_object()) EXPECT_FALSE(member.value().is_null());

  Recorder old(agui_encoder(false, "t", "r"));
  old.stream.started("t", "r");
  old.stream.finished({{"type", "cancelled"}});
  EXPECT_FALSE(old.frames[0].data.as_object().contains("protocolVersion"));
  EXPECT_FALSE(old.frames.back().data.as_object().contains("outcome"))
      << "0.0.x knows no cancelled outcome";
  Recorder old_success(agui_encoder(false, "t", "r"));
  old_success.stream.started("t", "r");
  old_success.stream.finished({{"type", "success"}, {"pendingToolCallIds", bj::array{"c"}}});
  EXPECT_EQ(old_success.frames.back().data.at("outcome"), (bj::object{{"type", "success"}}))
      << "0.0.x's success outcome is closed";
  Recorder old_interrupt(agui_encoder(false, "t", "r"));
  old_interrupt.stream.started("t", "r");
  old_interrupt.stream.finished(
      {{"type", "interrupt"}, {"interrupts", bj::array{bj::object{{"id", "i"}, {"reason", "x"}}}}});
  EXPECT_EQ(old_interrupt.frames.back().data.at("outcome").at("type"), "interrupt");
}

TEST(ContractEncoder, SpeaksTheContractsEventsAndEndsWithDone) {
  Recorder r(contract_encoder());
  r.stream.started("t", "r");
  r.stream.state_snapshot(bj::object{{"user", bj::object{{"id", "u"}}}});
  r.stream.step_started("step 1");
  r.stream.text("m1", "On ");
  r.stream.text("m1", "it.");
  r.stream.reasoning("m2", "hmm");
  r.stream.tool_call_start("c1", "searchDatabase", "m1");
  r.stream.tool_call_args("c1", "{\"query\":");
  r.stream.tool_call_args("c1", "\"x\"}");
  r.stream.tool_call_start("c2", "navigateTo", "m1", true);
  r.stream.tool_call_args("c2", "{\"path\":\"/store\"}");
  r.stream.tool_call_start("c3", "assignTask", "m1");
  r.stream.tool_call_args("c3", "[1]");
  for (const char* call : {"c1", "c2", "c3"}) r.stream.tool_call_end(call);
  r.stream.tool_call_result("m3", "c1", "{\"results\":[]}");
  r.stream.tool_call_result("m4", "c3", "{\"error\":\"No such task\",\"code\":\"NOT_FOUND\"}");
  r.stream.state_delta(
      bj::parse(
          R"([{"op":"replace","path":"/project/progress","value":1},{"op":"remove","path":"/a~1b"}])")
          .as_array());
  r.stream.custom(
      "ui",
      bj::object{{"action", "navigateTo"}, {"args", {{"path", "/store"}}}, {"toolCallId", "c2"}});
  r.stream.step_finished("step 1");
  r.stream.finished({{"type", "interrupt"},
                     {"interrupts", bj::array{bj::object{{"id", "i1"}, {"reason", "approval"}}}}});
  r.close();
  EXPECT_EQ(
      r.types(),
      (Types{"progress",    "state_update", "progress",     "message",   "message",   "thinking",
             "thinking",    "thinking",     "tool_call",    "tool_call", "tool_call", "tool_result",
             "tool_result", "state_update", "state_update", "ui",        "progress",  "interrupt",
             "progress",    "done",         "[DONE]"}));
  for (std::size_t i = 0; i + 1 < r.frames.size(); ++i)
    EXPECT_EQ(r.frames[i].event, r.frames[i].data.at("type").as_string()) << "named on event:";
  const auto frame = [&](std::size_t i) -> const bj::object& {
    return r.frames[i].data.as_object();
  };
  EXPECT_EQ(frame(0).at("threadId"), "t");
  EXPECT_EQ(frame(0).at("percentage"), 0);
  EXPECT_EQ(frame(3).at("content"), "On ");
  EXPECT_EQ(frame(3).at("role"), "assistant");
  EXPECT_EQ(frame(6).at("status"), "thinking");
  // tool_call {id, name, arguments: object, execution}: the app's ToolCallEvent.
  EXPECT_EQ(frame(8).at("id"), "c1");
  EXPECT_EQ(frame(8).at("arguments").at("query"), "x");
  EXPECT_EQ(frame(8).at("execution"), "backend");
  EXPECT_EQ(frame(9).at("execution"), "frontend");
  EXPECT_EQ(frame(10).at("arguments"), bj::object{}) << "arguments that are no object";
  EXPECT_EQ(frame(10).at("argumentsText"), "[1]");
  // tool_result {id, result, error?}
  EXPECT_EQ(frame(11).at("id"), "c1");
  EXPECT_EQ(frame(11).at("result"), bj::parse("{\"results\":[]}"));
  EXPECT_FALSE(frame(11).contains("error"));
  EXPECT_EQ(frame(12).at("error"), "No such task");
  // state_update {path (dotted), value, operation}
  EXPECT_EQ(frame(13).at("path"), "project.progress");
  EXPECT_EQ(frame(13).at("operation"), "set");
  EXPECT_EQ(frame(14).at("path"), "a/b");
  EXPECT_EQ(frame(14).at("operation"), "delete");
  EXPECT_TRUE(frame(14).contains("value"));
  // ui {component, props}
  EXPECT_EQ(frame(15).at("component"), "navigateTo");
  EXPECT_EQ(frame(15).at("props").at("path"), "/store");
  EXPECT_EQ(frame(16).at("percentage"), 50) << "one step of an unknown number done";
  // interrupt {reason, options: [{label, value}]}
  EXPECT_EQ(frame(17).at("reason"), "approval");
  EXPECT_EQ(frame(17).at("options").at(0).at("value"), "resolved");
  EXPECT_EQ(frame(17).at("options").at(1).at("value"), "cancelled");
  EXPECT_EQ(frame(18).at("percentage"), 100);
  // done {summary: {messagesCount, toolsCalled, statesUpdated}}
  EXPECT_EQ(frame(19).at("summary"),
            (bj::object{{"messagesCount", 1}, {"toolsCalled", 3}, {"statesUpdated", 3}}));
  EXPECT_EQ(frame(19).at("outcome"), "interrupt");
}

TEST(ContractEncoder, StatePathsAreDotted) {
  EXPECT_EQ(dotted_path(""), "");
  EXPECT_EQ(dotted_path("/devices"), "devices");
  EXPECT_EQ(dotted_path("/devices/0/status"), "devices.0.status");
  EXPECT_EQ(dotted_path("/ui/a~0b~1c"), "ui.a~b/c");
}

}  // namespace
}  // namespace karma::agent
