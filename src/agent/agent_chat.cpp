#include "agent/agent_chat.hpp"

#include "core/app_error.hpp"
#include "core/validation.hpp"

namespace karma::agent {

namespace bj = boost::json;

realtime::HubChat::Run AgentChat::chat(const std::string& user_id, const bj::object& message) {
  Violations violations;
  JsonFields fields(message, violations);
  // Only its presence is checked here; the run input checks the rest, as for POST /api/agent.
  const auto content = fields.string("content", {1, 100'000, false}, true);
  violations.throw_if_any();
  // The contract form of POST /api/agent: its checks are the run input's.
  bj::object body{{"messages", bj::array{bj::object{{"role", "user"}, {"content", *content}}}}};
  if (const auto* thread = message.if_contains("threadId"); thread && !thread->is_null())
    body["threadId"] = *thread;
  bj::object context;
  for (const char* key : {"avatarId", "projectId"})
    if (const auto* id = message.if_contains(key); id && !id->is_null()) context[key] = *id;
  if (!context.empty()) body["context"] = std::move(context);
  return start(user_id, body);
}

realtime::HubChat::Run AgentChat::answer(const std::string& user_id, const bj::object& response) {
  Violations violations;
  JsonFields fields(response, violations);
  const auto interrupt = fields.string("interruptId", {1, 200}, true);
  const auto approved = fields.boolean("approved", true);
  violations.throw_if_any();
  const auto thread = runtime_.thread_of_interrupt(user_id, *interrupt);
  if (!thread) throw AppError::not_found("Interrupt");
  bj::object answer{{"interruptId", *interrupt}, {"status", *approved ? "resolved" : "cancelled"}};
  if (const auto* payload = response.if_contains("payload")) answer["payload"] = *payload;
  return start(
      user_id,
      {{"threadId", *thread}, {"messages", bj::array{}}, {"resume", bj::array{std::move(answer)}}});
}

realtime::HubChat::Run AgentChat::start(const std::string& user_id, const bj::object& body) {
  auto run = std::make_shared<PreparedRun>(
      runtime_.prepare(Caller{user_id, "user"}, parse_run_input(body), true));
  Run out{run->input.thread_id, run->input.run_id, {}};
  out.start = [this, run](std::shared_ptr<http::EventSink> sink) {
    runtime_.start(std::move(*run), std::move(sink));
  };
  return out;
}

}  // namespace karma::agent
