// Random provider chunk sequences through RunStream and every encoder, each output checked
// against the verifier's rules (fuzz/fuzz_agent_stream.cpp runs the same check unbounded).
#include <gtest/gtest.h>

#include <random>

#include "agent_stream_rules.hpp"

namespace karma::agent::testing {
namespace {

TEST(AgentStreamRandom, EverySequenceEncodesToAVerifiedRunInEveryDialect) {
  std::mt19937 random(20261201);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 300);
  for (int round = 0; round < 5000; ++round) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(length(random)));
    for (auto& b : bytes) b = static_cast<std::uint8_t>(byte(random));
    const std::string why = check_all_encoders(bytes);
    ASSERT_EQ(why, "") << "round " << round;
  }
}

TEST(AgentStreamRandom, TheRulesCatchWhatBreaksThem) {
  const auto frames = [](std::initializer_list<const char*> data) {
    std::vector<Frame> out;
    for (const char* d : data) out.push_back({d, {}});
    return out;
  };
  EXPECT_NE(agui_violation(frames({R"({"type":"TEXT_MESSAGE_START","messageId":"m"})"})), "");
  EXPECT_NE(agui_violation(frames({R"({"type":"RUN_STARTED"})",
                                   R"({"type":"TOOL_CALL_ARGS","toolCallId":"c","delta":"x"})"})),
            "");
  EXPECT_NE(agui_violation(frames({R"({"type":"RUN_STARTED"})",
                                   R"({"type":"TEXT_MESSAGE_START","messageId":"m"})",
                                   R"({"type":"RUN_FINISHED"})"})),
            "");
  EXPECT_NE(agui_violation(frames({R"({"type":"RUN_STARTED"})", R"({"type":"RUN_FINISHED"})",
                                   R"({"type":"CUSTOM","name":"x","value":1})"})),
            "");
  EXPECT_NE(agui_violation(frames(
                {R"({"type":"RUN_STARTED","parentRunId":null})", R"({"type":"RUN_FINISHED"})"})),
            "");
  EXPECT_EQ(agui_violation(frames({R"({"type":"RUN_STARTED"})", R"({"type":"RUN_FINISHED"})"})),
            "");
  EXPECT_NE(contract_violation({{R"({"type":"done"})", "message"}, {"[DONE]", ""}}), "");
}

}  // namespace
}  // namespace karma::agent::testing
