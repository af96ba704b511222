// The built-in planner, the run input's two forms, the tools' argument check, thread claims.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "agent/llm/planner.hpp"
#include "agent/runtime/agent_runtime.hpp"
#include "agent/runtime/run_input.hpp"
#include "core/app_error.hpp"

namespace karma::agent {
namespace {

namespace bj = boost::json;

struct Recorded final : ModelOutput {
  void text(std::string_view d) override { said += d; }
  void reasoning(std::string_view) override {}
  void tool_call_start(const std::string&, const std::string& name) override { tool = name; }
  void tool_call_args(const std::string&, std::string_view d) override { args += d; }
  void tool_call_end(const std::string&) override {}
  bool cancelled() const override { return false; }
  std::string said, tool, args;
  bj::value arguments() const { return bj::parse(args); }
};

const bj::value kState = bj::parse(R"({
  "user": {"id": "u"},
  "devices": [{"id": "d1", "name": "Atlas", "status": "online"},
              {"id": "d2", "name": "Atlas Mini", "status": "offline"}],
  "avatars": [{"id": "a1", "name": "Ada", "status": "idle"}]})");

Recorded plan(const std::vector<StoredMessage>& messages) {
  Planner planner;
  Recorded out;
  const std::string prompt, model;
  planner.complete({messages, builtin_tools(), prompt, model, kState}, out);
  return out;
}

Recorded ask(const std::string& text) {
  return plan({{"m", "user", text, {}, {}}});
}

TEST(Planner, MapsChineseAndEnglishRequestsOntoTools) {
  struct Case {
    const char* said;
    const char* tool;
    const char* args;
  };
  for (const Case& c : {
           Case{"列出在线设备", "searchDatabase",
                R"({"type":"device","query":"online","limit":50})"},
           Case{"show my offline devices", "searchDatabase",
                R"({"type":"device","query":"offline","limit":50})"},
           Case{"重启设备 Atlas", "controlDevice", R"({"deviceId":"d1","command":"reboot"})"},
           Case{"please reboot device Atlas Mini", "controlDevice",
                R"({"deviceId":"d2","command":"reboot"})"},
           Case{"shut down Atlas", "controlDevice", R"({"deviceId":"d1","command":"shutdown"})"},
           Case{"how is avatar Ada doing this week", "analyzePerformance",
                R"({"avatarId":"a1","timeRange":"week"})"},
           Case{"Ada 今天表现如何", "analyzePerformance", R"({"avatarId":"a1","timeRange":"day"})"},
           Case{"search projects about launch", "searchDatabase",
                R"({"type":"project","query":"launch"})"},
           Case{"搜索关于发布的项目", "searchDatabase", R"({"type":"project","query":"发布"})"},
           Case{"assign task Write docs to avatar Ada", "searchDatabase",
                R"({"type":"task","query":"write docs"})"},
           Case{"把任务写文档分配给Ada", "searchDatabase", R"({"type":"task","query":"写文档"})"},
           Case{"go to the store", "navigateTo", R"({"path":"/store"})"},
       }) {
    SCOPED_TRACE(c.said);
    const Recorded out = ask(c.said);
    EXPECT_EQ(out.tool, c.tool);
    EXPECT_EQ(out.args.empty() ? bj::value() : out.arguments(), bj::parse(c.args));
  }
}

// Ids are accepted wherever a name is; frontend tools are called by what they are for.
TEST(Planner, TakesIdsAndCallsFrontendToolsByPurpose) {
  constexpr const char* kTask = "0b5e6c1e-4a52-4c3e-9a0f-6f2b1d9e8c7a";
  constexpr const char* kAvatar = "7d4c2b1a-9e8f-4a6b-8c5d-3e2f1a0b9c8d";
  constexpr const char* kDevice = "5a6b7c8d-1e2f-4a3b-9c4d-5e6f7a8b9c0d";
  struct Case {
    std::string said;
    const char* tool;
    std::string args;
  };
  for (const Case& c : {
           Case{std::string("assign task ") + kTask + " to avatar " + kAvatar, "assignTask",
                std::string(R"({"taskId":")") + kTask + R"(","avatarId":")" + kAvatar + "\"}"},
           Case{std::string("assign task ") + kTask + " to Ada", "assignTask",
                std::string(R"({"taskId":")") + kTask + R"(","avatarId":"a1"})"},
           Case{std::string("把任务") + kTask + "分配给" + kAvatar, "assignTask",
                std::string(R"({"taskId":")") + kTask + R"(","avatarId":")" + kAvatar + "\"}"},
           Case{std::string("reboot device ") + kDevice, "controlDevice",
                std::string(R"({"deviceId":")") + kDevice + R"(","command":"reboot"})"},
           Case{std::string("重启设备 ") + kDevice, "controlDevice",
                std::string(R"({"deviceId":")") + kDevice + R"(","command":"reboot"})"},
           Case{std::string("how is avatar ") + kAvatar + " doing this month", "analyzePerformance",
                std::string(R"({"avatarId":")") + kAvatar + R"(","timeRange":"month"})"},
           Case{"show a notification saying Hi there", "showNotification",
                R"({"title":"Notification","message":"Hi there","type":"info"})"},
           Case{"notify me with a warning: disk almost full", "showNotification",
                R"({"title":"Notification","message":"disk almost full","type":"warning"})"},
           Case{"显示一条通知：你好", "showNotification",
                R"({"title":"通知","message":"你好","type":"info"})"},
           Case{"go to the projects page", "navigateTo", R"({"path":"/projects"})"},
           Case{"跳转到项目页面", "navigateTo", R"({"path":"/projects"})"},
           Case{"open the new project dialog", "openModal", R"({"modalType":"createProject"})"},
           Case{"打开新建项目对话框", "openModal", R"({"modalType":"createProject"})"},
           Case{"open the add device form", "openModal", R"({"modalType":"addDevice"})"},
       }) {
    SCOPED_TRACE(c.said);
    const Recorded out = ask(c.said);
    EXPECT_EQ(out.tool, c.tool);
    EXPECT_EQ(out.args.empty() ? bj::value() : out.arguments(), bj::parse(c.args));
  }
}

TEST(Planner, CallsAToolThePageDeclaresByItsPurpose) {
  std::vector<ToolSpec> tools = builtin_tools();
  tools.push_back({"setTheme", "Switch the page between the light and the dark theme",
                   bj::parse(R"({"type":"object","properties":{"theme":{"type":"string",
                     "enum":["light","dark"]}},"required":["theme"]})")
                       .as_object(),
                   false});
  Planner planner;
  Recorded out;
  const std::string prompt, model;
  const std::vector<StoredMessage> messages{{"m", "user", "please use the dark theme", {}, {}}};
  planner.complete({messages, tools, prompt, model, kState}, out);
  EXPECT_EQ(out.tool, "setTheme");
  EXPECT_EQ(out.arguments(), bj::parse(R"({"theme":"dark"})"));
  Recorded unrelated;
  const std::vector<StoredMessage> joke{{"m", "user", "tell me a joke", {}, {}}};
  planner.complete({joke, tools, prompt, model, kState}, unrelated);
  EXPECT_TRUE(unrelated.tool.empty());
}

TEST(Planner, AnswersPlainlyWhatItCannotMap) {
  for (const char* said : {"tell me a joke", "reboot device Nowhere", "how is Bob doing"}) {
    SCOPED_TRACE(said);
    const Recorded out = ask(said);
    EXPECT_TRUE(out.tool.empty());
    EXPECT_FALSE(out.said.empty());
  }
}

TEST(Planner, GoesOnFromAToolsResult) {
  const std::vector<StoredMessage> asked{
      {"m1", "user", "assign task Write docs to avatar Ada", {}, {}},
      {"m2", "assistant", "", R"([{"id":"c1"}])", {}},
      {"m3",
       "tool",
       R"({"type":"task","results":[{"id":"t1","title":"Write docs","status":"todo"}],"total":1})",
       {},
       "c1"}};
  const Recorded next = plan(asked);
  EXPECT_EQ(next.tool, "assignTask");
  EXPECT_EQ(next.arguments(), bj::parse(R"({"taskId":"t1","avatarId":"a1"})"));

  const Recorded failed = plan(
      {{"m1", "user", "x", {}, {}}, {"m3", "tool", R"({"error":"Device not found"})", {}, "c"}});
  EXPECT_TRUE(failed.tool.empty());
  EXPECT_NE(failed.said.find("Device not found"), std::string::npos);
  const Recorded listed = plan(
      {{"m1", "user", "list devices", {}, {}},
       {"m3",
        "tool",
        R"({"type":"device","results":[{"id":"d1","name":"Atlas","status":"online"}],"total":1})",
        {},
        "c"}});
  EXPECT_EQ(listed.said, "Found 1 device: Atlas (online).");
}

TEST(RunInput, ReadsBothFormsAndRefusesWhatIsMalformed) {
  const RunInput agui = parse_run_input(bj::parse(R"({
    "threadId":"t","runId":"r","protocolVersion":"1.0","state":{"ui":{"page":"/"}},
    "messages":[{"id":"m1","role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]},
                {"id":"m2","role":"assistant","toolCalls":[{"id":"c","type":"function","function":{"name":"x","arguments":"{}"}}]},
                {"id":"m3","role":"tool","toolCallId":"c","content":"ok"}],
    "tools":[{"name":"confirm","description":"Ask","parameters":{"type":"object"}}],
    "context":[{"description":"projectId","value":"p1"}],
    "forwardedProps":{"avatarId":"a1"}})")
                                            .as_object());
  EXPECT_EQ(agui.thread_id, "t");
  EXPECT_TRUE(agui.protocol_1_0);
  ASSERT_EQ(agui.messages.size(), 3u);
  EXPECT_EQ(agui.messages[0].content, "hi there");
  EXPECT_TRUE(agui.messages[1].tool_calls.has_value());
  EXPECT_EQ(agui.messages[2].tool_call_id, "c");
  ASSERT_EQ(agui.client_tools.size(), 1u);
  EXPECT_EQ(agui.project_id, "p1");
  EXPECT_EQ(agui.avatar_id, "a1");

  const RunInput contract = parse_run_input(bj::parse(R"({
    "messages":[{"role":"user","content":"hi"}],"tools":["searchDatabase"],
    "context":{"userId":"u","projectId":"p"},"options":{"model":"gpt-4o"}})")
                                                .as_object());
  EXPECT_FALSE(contract.thread_id.empty()) << "generated";
  EXPECT_FALSE(contract.protocol_1_0);
  EXPECT_EQ(contract.tool_names, std::vector<std::string>{"searchDatabase"});
  EXPECT_EQ(contract.project_id, "p");
  EXPECT_EQ(contract.model, "gpt-4o");
  EXPECT_FALSE(contract.messages[0].id.empty());

  for (const char* bad : {
           R"({})",
           R"({"messages":{}})",
           R"({"messages":[1]})",
           R"({"messages":[{"role":"user","content":5}]})",
           R"({"messages":[{"role":"assistant","content":"x","toolCalls":{}}]})",
           R"({"messages":[],"context":7})",
           R"({"messages":[],"threadId":""})",
       }) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_run_input(bj::parse(bad).as_object()), AppError);
  }
  bj::object huge{{"messages", bj::array{bj::object{{"role", "user"},
                                                    {"content", std::string(100'001, 'x')}}}}};
  EXPECT_THROW(parse_run_input(huge), AppError);
}

TEST(ToolArguments, AreCheckedAgainstTheToolsSchema) {
  const auto& schema = find_builtin("controlDevice")->parameters;
  EXPECT_FALSE(schema_violation(schema, bj::parse(R"({"deviceId":"d","command":"reboot"})")));
  for (const char* bad :
       {R"({"deviceId":"d"})", R"({"deviceId":"d","command":"explode"})",
        R"({"deviceId":"","command":"ping"})", R"({"deviceId":"d","command":"ping","extra":1})",
        R"({"deviceId":"d","command":"ping","params":[]})", R"([])"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(schema_violation(schema, bj::parse(bad)));
  }
  const auto& search = find_builtin("searchDatabase")->parameters;
  EXPECT_TRUE(schema_violation(search, bj::parse(R"({"type":"task","limit":51})")));
  EXPECT_TRUE(schema_violation(search, bj::parse(R"({"type":"task","limit":1.5})")));
  EXPECT_FALSE(schema_violation(search, bj::parse(R"({"type":"task","limit":5.0})")));
}

TEST(ThreadClaim, ARunNeverStartedGivesItsThreadBackAndAStartedOneKeepsIt) {
  int released = 0;
  {
    ThreadClaim dropped([&] { ++released; });
  }
  EXPECT_EQ(released, 1) << "the response was dropped before its head went out";
  {
    ThreadClaim taken([&] { ++released; });
    taken.take_over();
  }
  EXPECT_EQ(released, 1) << "the run releases it when it ends";
}

}  // namespace
}  // namespace karma::agent
