// API.md §7 (POST /api/agent) on SQLite and PostgreSQL, with the built-in planner: what is refused
// before streaming, the run's events in both dialects, backend and frontend tools, the shared
// state, threads.
#include <boost/json.hpp>

#include "../unit/agent_stream_rules.hpp"
#include "agent/protocol/json_patch.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

struct Frame {
  std::string event;  // the "event:" line, when there is one
  std::string data;
  bj::value json;  // data parsed (null for "[DONE]")
};

std::vector<Frame> frames_of(const std::string& body) {
  std::vector<Frame> out;
  std::size_t at = 0;
  while (at < body.size()) {
    const std::size_t end = body.find("\n\n", at);
    const std::string block = body.substr(at, end == std::string::npos ? end : end - at);
    at = end == std::string::npos ? body.size() : end + 2;
    Frame f;
    std::size_t line_at = 0;
    while (line_at < block.size()) {
      const std::size_t nl = block.find('\n', line_at);
      const std::string line = block.substr(line_at, nl == std::string::npos ? nl : nl - line_at);
      line_at = nl == std::string::npos ? block.size() : nl + 1;
      if (line.rfind("event: ", 0) == 0) f.event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) f.data += line.substr(6);
    }
    if (f.data.empty()) continue;
    if (f.data != "[DONE]") f.json = bj::parse(f.data);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> types_of(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames)
    out.emplace_back(f.json.is_null() ? "[DONE]" : std::string(f.json.at("type").as_string()));
  return out;
}

const Frame* first(const std::vector<Frame>& frames, std::string_view type) {
  for (const auto& f : frames)
    if (!f.json.is_null() && f.json.at("type").as_string() == type) return &f;
  return nullptr;
}

std::size_t count(const std::vector<Frame>& frames, std::string_view type) {
  std::size_t n = 0;
  for (const auto& f : frames)
    if (!f.json.is_null() && f.json.at("type").as_string() == type) ++n;
  return n;
}

bool has_null(const bj::value& v) {
  if (v.is_null()) return true;
  if (const auto* o = v.if_object())
    for (const auto& m : *o)
      if (m.key() != "assignee" && has_null(m.value())) return true;
  if (const auto* a = v.if_array())
    for (const auto& x : *a)
      if (has_null(x)) return true;
  return false;
}

class AgentTest : public OwnerTest {
 protected:
  // An AG-UI RunAgentInput carrying `messages` (as HttpAgent 1.x sends it).
  static bj::object agui_input(const std::string& thread, bj::array messages,
                               bool protocol_1_0 = true) {
    bj::object in{{"threadId", thread},
                  {"runId", "run-" + crypto_id()},
                  {"state", bj::object{}},
                  {"messages", std::move(messages)},
                  {"tools", bj::array{}},
                  {"context", bj::array{}},
                  {"forwardedProps", bj::object{}}};
    if (protocol_1_0) in["protocolVersion"] = "1.0";
    return in;
  }
  static std::string crypto_id() {
    static int n = 0;
    return std::to_string(++n) + "-" + std::to_string(now_ms());
  }
  static bj::object user_message(const std::string& id, const std::string& text) {
    return {{"id", id}, {"role", "user"}, {"content", text}};
  }

  ClientResponse run(const bj::object& input, const Account* as = nullptr,
                     const std::string& query = {}) {
    return call("POST", "/api/agent" + query, body(input), as);
  }
  std::vector<Frame> stream(const bj::object& input, const Account* as = nullptr,
                            const std::string& query = {}) {
    const auto r = run(input, as, query);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "text/event-stream");
    return frames_of(r.body);
  }
  std::string create_device(const std::string& name, const Account* as = nullptr) {
    const auto r = call("POST", "/api/devices",
                        body({{"name", name},
                              {"model", "EOS-3A"},
                              {"serialNumber", "SN-" + crypto_id()},
                              {"mac", "AA:BB:CC:DD:EE:FF"}}),
                        as);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("data").at("device").at("id").as_string());
  }
  std::string create_avatar(const std::string& name) {
    const auto r = call("POST", "/api/avatars",
                        body({{"name", name},
                              {"role", "Writer"},
                              {"description", ""},
                              {"isPublic", false},
                              {"baseModel", "m"},
                              {"systemPrompt", "p"},
                              {"skills", bj::array{}},
                              {"tools", bj::array{}}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("data").at("avatar").at("id").as_string());
  }
  std::int64_t stored_messages(const std::string& thread) {
    return server()
        .app->database()
        .query("SELECT COUNT(*) FROM agent_messages WHERE thread_id = $1", {thread})
        .first()
        .integer(0);
  }
};

TEST_P(AgentTest, WhatCanBeRefusedIsAJsonErrorBeforeAnyEvent) {
  const auto refused = [&](const std::string& payload, int status, const Account* as = nullptr) {
    SCOPED_TRACE(payload);
    const auto r = call("POST", "/api/agent", payload, as);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.json().at("success"), false);
  };
  refused("{}", 400);
  refused(R"({"messages":"hi"})", 400);
  refused(R"({"messages":[{"role":"robot","content":"x"}]})", 400);
  refused(R"({"messages":[{"role":"user","content":{"a":1}}]})", 400);
  refused(R"({"messages":[{"role":"tool","content":"x"}]})", 400);  // no toolCallId
  refused(R"({"messages":[],"tools":"all"})", 400);
  refused(R"({"messages":[],"state":[1]})", 400);
  refused(R"({"messages":[],"context":{"projectId":"00000000-0000-4000-8000-000000000000"}})", 404);
  refused("not json", 400);
  // Nothing to answer: no messages on a thread with no history, in both forms.
  refused(R"({"messages":[]})", 400);
  refused(R"({"messages":[],"context":{"userId":"u"}})", 400);
  refused(body(agui_input("t-" + crypto_id(), bj::array{})), 400);
  refused(R"({"threadId":"t","messages":null})", 400);
  // Ids that are no UUIDs name nothing: 404 on both databases (PostgreSQL once answered 500).
  for (const char* bad : {"nope", "' OR 1=1 --", "00000000-0000-4000-8000-00000000000g"}) {
    const bj::array hi{user_message("m", "hi")};
    refused(body({{"messages", hi}, {"context", {{"avatarId", bad}}}}), 404);
    refused(body({{"messages", hi}, {"context", {{"projectId", bad}}}}), 404);
    refused(body({{"messages", hi}, {"forwardedProps", {{"avatarId", bad}}}}), 404);
    refused(body({{"messages", hi}, {"forwardedProps", {{"projectId", bad}}}}), 404);
    bj::object listed = agui_input("t-" + crypto_id(), hi);
    listed["context"] = bj::array{bj::object{{"description", "avatarId"}, {"value", bad}}};
    refused(body(listed), 404);
  }
  EXPECT_EQ(call("POST", "/api/agent", "{}", nullptr).status, 400);
  EXPECT_EQ(client().request("POST", "/api/agent", R"({"messages":[]})").status, 401);

  // Another user's thread is not there; a private avatar of theirs neither.
  const Account other = register_account(client());
  const std::string thread = "thread-" + crypto_id();
  stream(agui_input(thread, bj::array{user_message("m1", "hello")}));
  refused(body(agui_input(thread, bj::array{user_message("m2", "hello")})), 404, &other);
  const std::string avatar = create_avatar("Mine");
  bj::object as_avatar = agui_input("t-" + crypto_id(), bj::array{user_message("m", "hi")});
  as_avatar["forwardedProps"] = bj::object{{"avatarId", avatar}};
  refused(body(as_avatar), 404, &other);
  EXPECT_EQ(stored_messages(thread), 2) << "the refused run stored nothing";
  // A thread with history may be run again without new messages.
  const auto again = stream(agui_input(thread, bj::array{}));
  EXPECT_EQ(types_of(again).back(), "RUN_FINISHED");
}

TEST_P(AgentTest, ARunIsWellFormedInAgUi10AndPre10) {
  const auto frames =
      stream(agui_input("t-" + crypto_id(), bj::array{user_message("m1", "what can you do?")}));
  const auto types = types_of(frames);
  ASSERT_GE(types.size(), 6u);
  EXPECT_EQ(types.front(), "RUN_STARTED");
  EXPECT_EQ(types[1], "STATE_SNAPSHOT");
  EXPECT_EQ(types.back(), "RUN_FINISHED");
  EXPECT_EQ(frames.front().json.at("protocolVersion"), "1.0");
  EXPECT_EQ(frames.back().json.at("outcome").at("type"), "success");
  const auto* text = first(frames, "TEXT_MESSAGE_CONTENT");
  ASSERT_TRUE(text);
  EXPECT_NE(std::string(text->json.at("delta").as_string()).find("list your devices"),
            std::string::npos);
  for (const auto& f : frames) EXPECT_FALSE(has_null(f.json)) << f.data;
  // Each model call is a step.
  ASSERT_EQ(count(frames, "STEP_STARTED"), 1u);
  EXPECT_EQ(count(frames, "STEP_FINISHED"), 1u);
  EXPECT_EQ(first(frames, "STEP_STARTED")->json.at("stepName"), "step 1");
  const auto& snapshot = first(frames, "STATE_SNAPSHOT")->json.at("snapshot");
  EXPECT_EQ(snapshot.at("user").at("id"), owner.id.c_str());
  for (const char* key : {"devices", "avatars", "earnings", "ui"})
    EXPECT_TRUE(snapshot.as_object().contains(key)) << key;

  const auto old =
      stream(agui_input("t-" + crypto_id(), bj::array{user_message("m1", "hello")}, false));
  EXPECT_FALSE(old.front().json.as_object().contains("protocolVersion"));
  EXPECT_EQ(types_of(old).back(), "RUN_FINISHED");
}

TEST_P(AgentTest, BackendToolsRunWithTheCallersPermissions) {
  const Account other = register_account(client());
  const std::string atlas = create_device("Atlas");
  create_device("Hidden", &other);
  const auto frames =
      stream(agui_input("t-" + crypto_id(), bj::array{user_message("m1", "列出我的设备")}));
  const auto* call_start = first(frames, "TOOL_CALL_START");
  ASSERT_TRUE(call_start);
  EXPECT_EQ(call_start->json.at("toolCallName"), "searchDatabase");
  const auto* result = first(frames, "TOOL_CALL_RESULT");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json.at("toolCallId"), call_start->json.at("toolCallId"));
  const bj::value found = bj::parse(result->json.at("content").as_string());
  ASSERT_EQ(found.at("results").as_array().size(), 1u) << "only the caller's devices";
  EXPECT_EQ(found.at("results").at(0).at("id"), atlas.c_str());
  // Events in order: the call ends before its result, the answer follows.
  const auto types = types_of(frames);
  const auto at = [&](std::string_view t) {
    return std::find(types.begin(), types.end(), t) - types.begin();
  };
  EXPECT_LT(at("TOOL_CALL_END"), at("TOOL_CALL_RESULT"));
  EXPECT_LT(at("TOOL_CALL_RESULT"), at("TEXT_MESSAGE_START"));

  // The same request over REST: the command the tool queued is the device's.
  const auto ping =
      stream(agui_input("t-" + crypto_id(), bj::array{user_message("m1", "ping device Atlas")}));
  ASSERT_TRUE(first(ping, "TOOL_CALL_RESULT"));
  const auto commands = call("GET", "/api/devices/" + atlas + "/commands");
  ASSERT_EQ(commands.status, 200) << commands.body;
  const bj::value listed = commands.json();
  ASSERT_EQ(listed.at("data").at("commands").as_array().size(), 1u);
  EXPECT_EQ(listed.at("data").at("commands").at(0).at("command"), "ping");
  // A device of someone else's is a tool error, not a dead stream.
  const auto theirs = stream(
      agui_input("t-" + crypto_id(), bj::array{user_message("m1", "ping device Hidden")}), &owner);
  EXPECT_EQ(count(theirs, "TOOL_CALL_START"), 0u) << "not in the caller's state: not named";
  EXPECT_EQ(types_of(theirs).back(), "RUN_FINISHED");
}

TEST_P(AgentTest, AssigningATaskChangesTheStateByDeltasThatReplay) {
  create_avatar("Ada");
  const auto project = call("POST", "/api/projects", R"({"name":"Docs"})");
  const std::string p(project.json().at("data").at("project").at("id").as_string());
  const auto task = call("POST", "/api/projects/" + p + "/tasks",
                         R"({"title":"Write the guide","status":"in_progress"})");
  ASSERT_EQ(task.status, 201) << task.body;
  const std::string t(task.json().at("data").at("task").at("id").as_string());

  const auto frames = stream(
      agui_input("t-" + crypto_id(),
                 bj::array{user_message("m1", "assign task Write the guide to avatar Ada")}));
  ASSERT_EQ(count(frames, "TOOL_CALL_RESULT"), 2u) << "found, then assigned";
  const auto shown = call("GET", "/api/projects/" + p + "/tasks/" + t);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.json().at("data").at("assignee").at("name"), "Ada");

  bj::value state = first(frames, "STATE_SNAPSHOT")->json.at("snapshot");
  EXPECT_EQ(state.at("avatars").at(0).at("status"), "idle");
  EXPECT_FALSE(state.as_object().contains("project")) << "no project named";
  ASSERT_EQ(count(frames, "STATE_DELTA"), 1u);
  for (const auto& f : frames)
    if (f.json.at("type") == "STATE_DELTA")
      state = agent::apply_patch(state, f.json.at("delta").as_array());
  EXPECT_EQ(state.at("avatars").at(0).at("status"), "working");
}

TEST_P(AgentTest, TheStateHoldsTheProjectTheRequestNames) {
  const auto project = call("POST", "/api/projects", R"({"name":"Docs"})");
  const std::string p(project.json().at("data").at("project").at("id").as_string());
  ASSERT_EQ(call("POST", "/api/projects/" + p + "/tasks", R"({"title":"Write"})").status, 201);
  bj::object in = agui_input("t-" + crypto_id(), bj::array{user_message("m1", "hello")});
  in["context"] = bj::array{bj::object{{"description", "projectId"}, {"value", p}}};
  const auto frames = stream(in);
  const auto& state = first(frames, "STATE_SNAPSHOT")->json.at("snapshot");
  EXPECT_EQ(state.at("project").at("name"), "Docs");
  EXPECT_EQ(state.at("project").at("tasks").at(0).at("title"), "Write");
  // Another user's project is refused before streaming.
  const Account other = register_account(client());
  EXPECT_EQ(run(in, &other).status, 404);
}

TEST_P(AgentTest, AFrontendToolEndsTheRunAndTheNextRunCarriesItsResult) {
  const std::string thread = "t-" + crypto_id();
  bj::array history{user_message("m1", "go to the devices page")};
  const auto frames = stream(agui_input(thread, history));
  const auto* call_start = first(frames, "TOOL_CALL_START");
  ASSERT_TRUE(call_start);
  EXPECT_EQ(call_start->json.at("toolCallName"), "navigateTo");
  EXPECT_EQ(count(frames, "TOOL_CALL_RESULT"), 0u) << "the client runs it";
  const auto* ui = first(frames, "CUSTOM");
  ASSERT_TRUE(ui);
  EXPECT_EQ(ui->json.at("name"), "ui");
  EXPECT_EQ(ui->json.at("value").at("action"), "navigateTo");
  EXPECT_EQ(ui->json.at("value").at("args").at("path"), "/devices");
  const std::string call_id(call_start->json.at("toolCallId").as_string());
  EXPECT_EQ(frames.back().json.at("outcome").at("pendingToolCallIds"), bj::array{call_id.c_str()});
  EXPECT_EQ(stored_messages(thread), 2);  // the request, the call

  // As HttpAgent does: the whole history again, with the tool's result.
  history.push_back(bj::object{
      {"id", first(frames, "TOOL_CALL_START")->json.at("parentMessageId")},
      {"role", "assistant"},
      {"toolCalls",
       bj::array{bj::object{
           {"id", call_id},
           {"type", "function"},
           {"function", {{"name", "navigateTo"}, {"arguments", "{\"path\":\"/devices\"}"}}}}}}});
  history.push_back(
      bj::object{{"id", "r1"}, {"role", "tool"}, {"toolCallId", call_id}, {"content", "{}"}});
  const auto next = stream(agui_input(thread, history));
  const auto* answer = first(next, "TEXT_MESSAGE_CONTENT");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->json.at("delta"), "Done.");
  EXPECT_EQ(stored_messages(thread), 4) << "messages already kept are not kept twice";
}

TEST_P(AgentTest, OneRunAtATimePerThread) {
  const std::string thread = "t-" + crypto_id();
  stream(agui_input(thread, bj::array{user_message("m1", "hello")}));
  auto& db = server().app->database();
  db.query("UPDATE agent_threads SET active_run_id = 'other', active_until = $2 WHERE id = $1",
           {thread, db::Timestamp{now_ms() + 60'000}});
  const auto busy = run(agui_input(thread, bj::array{user_message("m2", "hello")}));
  EXPECT_EQ(busy.status, 409) << busy.body;
  EXPECT_EQ(busy.json().at("error").at("code"), "CONFLICT");
  // A hold that lapsed (its instance died) is taken over.
  db.query("UPDATE agent_threads SET active_until = $2 WHERE id = $1",
           {thread, db::Timestamp{now_ms() - 1}});
  stream(agui_input(thread, bj::array{user_message("m2", "hello")}));
  EXPECT_TRUE(db.query("SELECT active_run_id FROM agent_threads WHERE id = $1", {thread})
                  .first()
                  .opt_text(0)
                  .has_value() == false)
      << "released when the run ended";
}

TEST_P(AgentTest, TheContractsEventsAreNamedAndEndWithDone) {
  create_device("Atlas");
  for (const std::string& query : {std::string("?events=contract"), std::string()}) {
    SCOPED_TRACE(query);
    const auto r =
        query.empty()
            ? client().request("POST", "/api/agent",
                               R"({"messages":[{"role":"user","content":"list devices"}]})",
                               [&] {
                                 auto h = bearer(owner.access_token);
                                 h.push_back({"X-Karma-Events", "contract"});
                                 return h;
                               }())
            : run(bj::parse(R"({"messages":[{"role":"user","content":"list devices"}]})")
                      .as_object(),
                  nullptr, query);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto frames = frames_of(r.body);
    const auto types = types_of(frames);
    EXPECT_EQ(types.front(), "progress");
    EXPECT_EQ(types[1], "state_update");
    EXPECT_NE(std::find(types.begin(), types.end(), "tool_call"), types.end());
    EXPECT_NE(std::find(types.begin(), types.end(), "tool_result"), types.end());
    EXPECT_NE(std::find(types.begin(), types.end(), "message"), types.end());
    ASSERT_GE(types.size(), 2u);
    EXPECT_EQ(types[types.size() - 2], "done");
    EXPECT_EQ(types.back(), "[DONE]");
    for (const auto& f : frames)
      if (!f.json.is_null()) {
        EXPECT_EQ(f.event, f.json.at("type").as_string());
      }
    EXPECT_TRUE(frames.front().json.at("threadId").is_string()) << "a generated thread id";
    // Every event shaped as the web app's types say (webapp/src/types/api.ts).
    for (std::size_t i = 0; i + 1 < frames.size(); ++i)
      EXPECT_EQ(agent::testing::contract_shape_violation(frames[i].json.as_object()), "")
          << frames[i].data;
    EXPECT_EQ(first(frames, "tool_call")->json.at("execution"), "backend");
    EXPECT_EQ(first(frames, "tool_call")->json.at("arguments").at("type"), "device");
    EXPECT_EQ(first(frames, "tool_result")->json.at("id"),
              first(frames, "tool_call")->json.at("id"));
    const auto& summary = first(frames, "done")->json.at("summary");
    EXPECT_EQ(summary.at("toolsCalled"), 1);
    EXPECT_GE(summary.at("messagesCount").to_number<int>(), 1);
    EXPECT_GE(summary.at("statesUpdated").to_number<int>(), 1);
  }
  // A frontend tool: `execution: frontend`, a `ui` naming it, never a tool_result.
  const auto r =
      run(bj::parse(R"({"messages":[{"role":"user","content":"go to the store"}]})").as_object(),
          nullptr, "?events=contract");
  const auto frames = frames_of(r.body);
  ASSERT_TRUE(first(frames, "tool_call"));
  EXPECT_EQ(first(frames, "tool_call")->json.at("execution"), "frontend");
  EXPECT_EQ(first(frames, "tool_call")->json.at("arguments").at("path"), "/store");
  EXPECT_EQ(count(frames, "tool_result"), 0u);
  ASSERT_TRUE(first(frames, "ui"));
  EXPECT_EQ(first(frames, "ui")->json.at("component"), "navigateTo");
  EXPECT_EQ(first(frames, "ui")->json.at("props").at("path"), "/store");
  // An approval: interrupt {reason, options: [{label, value}]} before done.
  const auto asked =
      frames_of(run(bj::parse(R"({"messages":[{"role":"user","content":"reboot device Atlas"}]})")
                        .as_object(),
                    nullptr, "?events=contract")
                    .body);
  const auto* interrupt = first(asked, "interrupt");
  ASSERT_TRUE(interrupt);
  EXPECT_EQ(agent::testing::contract_shape_violation(interrupt->json.as_object()), "");
  EXPECT_EQ(interrupt->json.at("options").at(0).at("value"), "resolved");
  EXPECT_TRUE(interrupt->json.at("toolCallId").is_string());
  EXPECT_EQ(first(asked, "done")->json.at("outcome"), "interrupt");
}

// Destructive device commands and p0 assignments wait for the user: the run ends with an
// interrupt; the next run's resume runs (or cancels) the held call on its original toolCallId.
TEST_P(AgentTest, DestructiveCommandsWaitForApprovalAndResumeRunsThemOnce) {
  const std::string atlas = create_device("Atlas");
  const auto commands_queued = [&] {
    const auto r = call("GET", "/api/devices/" + atlas + "/commands");
    const bj::value doc = r.json();
    return doc.at("data").at("commands").as_array().size();
  };
  const std::string thread = "t-" + crypto_id();
  bj::array history{user_message("m1", "reboot device Atlas")};
  const auto asked = stream(agui_input(thread, history));
  const auto& finished = asked.back().json;
  ASSERT_EQ(finished.at("outcome").at("type"), "interrupt") << asked.back().data;
  const auto& interrupt = finished.at("outcome").at("interrupts").at(0);
  for (const char* key : {"id", "reason", "message", "toolCallId", "responseSchema", "expiresAt"})
    EXPECT_TRUE(interrupt.as_object().contains(key)) << key;
  EXPECT_EQ(interrupt.at("toolCallId"), first(asked, "TOOL_CALL_START")->json.at("toolCallId"));
  EXPECT_EQ(count(asked, "TOOL_CALL_RESULT"), 0u);
  EXPECT_EQ(commands_queued(), 0u) << "nothing runs before the approval";
  const std::string interrupt_id(interrupt.at("id").as_string());
  const std::string call_id(interrupt.at("toolCallId").as_string());

  // New input while it waits: RUN_ERROR, and the input is not kept.
  const auto before = stored_messages(thread);
  const auto busy = stream(agui_input(thread, bj::array{user_message("m2", "hello")}));
  EXPECT_EQ(types_of(busy).back(), "RUN_ERROR");
  EXPECT_EQ(busy.back().json.at("code"), "INTERRUPTS_OPEN");
  EXPECT_EQ(stored_messages(thread), before);
  // A resume naming an interrupt this thread does not have — none, or another user's, resumed
  // from one's own thread — is a 404 before any event, as another user's thread is.
  const Account other = register_account(client());
  const std::string theirs = create_device("Atlas", &other);
  const auto their_run = stream(
      agui_input("t-" + crypto_id(), bj::array{user_message("o1", "reboot device Atlas")}), &other);
  const std::string their_interrupt(
      their_run.back().json.at("outcome").at("interrupts").at(0).at("id").as_string());
  for (const std::string& id : {std::string("nope"), their_interrupt}) {
    bj::object wrong = agui_input(thread, history);
    wrong["resume"] = bj::array{bj::object{{"interruptId", id}, {"status", "resolved"}}};
    const auto refused = run(wrong);
    EXPECT_EQ(refused.status, 404) << refused.body;
    EXPECT_EQ(error_code(refused), "NOT_FOUND");
  }
  EXPECT_EQ(stored_messages(thread), before);

  bj::object approve = agui_input(thread, history);
  approve["resume"] = bj::array{bj::object{{"interruptId", interrupt_id}, {"status", "resolved"}}};
  const auto resumed = stream(approve);
  const auto* result = first(resumed, "TOOL_CALL_RESULT");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json.at("toolCallId"), call_id.c_str());
  EXPECT_EQ(bj::parse(result->json.at("content").as_string()).at("command"), "reboot");
  EXPECT_EQ(commands_queued(), 1u);
  EXPECT_EQ(resumed.back().json.at("outcome").at("type"), "success");
  EXPECT_NE(std::string(first(resumed, "TEXT_MESSAGE_CONTENT")->json.at("delta").as_string())
                .find("Queued reboot"),
            std::string::npos);

  // The same resume again: the same result, nothing runs twice.
  approve["runId"] = "run-" + crypto_id();
  const auto replayed = stream(approve);
  ASSERT_TRUE(first(replayed, "TOOL_CALL_RESULT"));
  EXPECT_EQ(first(replayed, "TOOL_CALL_RESULT")->json.at("content"), result->json.at("content"));
  EXPECT_EQ(commands_queued(), 1u);

  // Declined: nothing is queued.
  const auto again = stream(agui_input(thread, bj::array{user_message("m3", "shut down Atlas")}));
  const std::string second(
      again.back().json.at("outcome").at("interrupts").at(0).at("id").as_string());
  bj::object decline = agui_input(thread, bj::array{});
  decline["resume"] = bj::array{bj::object{{"interruptId", second}, {"status", "cancelled"}}};
  const auto declined = stream(decline);
  EXPECT_EQ(bj::parse(first(declined, "TOOL_CALL_RESULT")->json.at("content").as_string())
                .at("cancelled"),
            true);
  EXPECT_EQ(commands_queued(), 1u);
}

TEST_P(AgentTest, InterruptsExpireAndP0AssignmentsAskToo) {
  create_device("Atlas");
  const std::string thread = "t-" + crypto_id();
  const auto asked = stream(agui_input(thread, bj::array{user_message("m1", "reboot Atlas")}));
  ASSERT_EQ(asked.back().json.at("outcome").at("type"), "interrupt");
  server().app->database().query("UPDATE agent_interrupts SET expires_at = $2 WHERE thread_id = $1",
                                 {thread, db::Timestamp{now_ms() - 1}});
  const auto later = stream(agui_input(thread, bj::array{user_message("m2", "hello")}));
  EXPECT_EQ(types_of(later).back(), "RUN_FINISHED") << "an expired interrupt no longer holds";
  EXPECT_EQ(server()
                .app->database()
                .query("SELECT status FROM agent_interrupts WHERE thread_id = $1", {thread})
                .first()
                .text(0),
            "expired");

  create_avatar("Ada");
  const auto project = call("POST", "/api/projects", R"({"name":"Urgent"})");
  const std::string p(project.json().at("data").at("project").at("id").as_string());
  ASSERT_EQ(call("POST", "/api/projects/" + p + "/tasks", R"({"title":"Fix prod","priority":"p0"})")
                .status,
            201);
  const auto p0 = stream(
      agui_input("t-" + crypto_id(), bj::array{user_message("m1", "assign task Fix prod to Ada")}));
  EXPECT_EQ(p0.back().json.at("outcome").at("type"), "interrupt") << p0.back().data;
  EXPECT_EQ(count(p0, "TOOL_CALL_RESULT"), 1u) << "the search ran; the assignment waits";
}

TEST_P(AgentTest, TheContractSpeaksInterruptsAndTakesResume) {
  create_device("Atlas");
  const auto r =
      run(bj::parse(R"({"messages":[{"role":"user","content":"重启设备 Atlas"}]})").as_object(),
          nullptr, "?events=contract");
  const auto frames = frames_of(r.body);
  const auto* asked = first(frames, "interrupt");
  ASSERT_TRUE(asked) << r.body;
  EXPECT_EQ(first(frames, "done")->json.at("outcome"), "interrupt");
  const std::string thread(frames.front().json.at("threadId").as_string());
  bj::object resume{{"threadId", thread},
                    {"messages", bj::array{}},
                    {"resume", bj::array{bj::object{{"interruptId", asked->json.at("id")},
                                                    {"status", "resolved"}}}}};
  const auto resumed = frames_of(run(resume, nullptr, "?events=contract").body);
  const auto* result = first(resumed, "tool_result");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json.at("id"), asked->json.at("toolCallId"));
  EXPECT_EQ(result->json.at("result").at("command"), "reboot");
}

TEST_P(AgentTest, AThreadOf1000MessagesCostsARunNoMoreThanOneOfTen) {
  auto& db = server().app->database();
  const auto thread_of = [&](int messages) {
    const std::string thread = "t-" + crypto_id();
    stream(agui_input(thread, bj::array{user_message("first", "hello")}));
    for (int i = 0; i < messages; ++i)
      db.query(
          "INSERT INTO agent_messages (thread_id, id, seq, role, content, created_at) VALUES ($1, "
          "$2, $3, 'user', 'old words', $4)",
          {thread, "old-" + std::to_string(i), std::int64_t{100 + i}, db::Timestamp{now_ms()}});
    return thread;
  };
  const auto run_cost = [&](const std::string& thread) {
    return statements_of(
        [] {},
        [&] {
          return run(agui_input(thread, bj::array{user_message("new-" + crypto_id(), "hello")}));
        });
  };
  const auto small = run_cost(thread_of(10));
  const auto large = run_cost(thread_of(1000));
  EXPECT_EQ(small, large);
}

TEST_P(AgentTest, AClientWithoutTheHistoryIsSentItFirst) {
  const std::string thread = "t-" + crypto_id();
  bj::array history{user_message("m1", "what can you do?")};
  const auto first_run = stream(agui_input(thread, history));
  EXPECT_EQ(count(first_run, "MESSAGES_SNAPSHOT"), 0u) << "a new thread has none to send";
  // A page that reopened the thread sends only its new message.
  const auto reopened = stream(agui_input(thread, bj::array{user_message("m9", "hello")}));
  const auto* snapshot = first(reopened, "MESSAGES_SNAPSHOT");
  ASSERT_TRUE(snapshot);
  const auto& messages = snapshot->json.at("messages").as_array();
  ASSERT_GE(messages.size(), 3u);
  EXPECT_EQ(messages.at(0).at("id"), "m1");
  EXPECT_EQ(messages.at(1).at("role"), "assistant");
  // A client that sends the history (as HttpAgent does) is not sent it again.
  history.push_back(bj::object{{"id", "m9"}, {"role", "user"}, {"content", "hello"}});
  history.push_back(user_message("m10", "hello again"));
  EXPECT_EQ(count(stream(agui_input(thread, history)), "MESSAGES_SNAPSHOT"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AgentTest, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace karma::testing
