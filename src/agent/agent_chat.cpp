#include "agent/agent_chat.hpp"

#include "core/app_error.hpp"

namespace karma::agent {

namespace bj = boost::json;

namespace {

const bj::value* member(const bj::object& o, std::string_view key, bj::kind kind) {
  const auto* v = o.if_contains(key);
  return v && v->kind() == kind ? v : nullptr;
}

}  // namespace

realtime::HubChat::Run AgentChat::chat(const std::string& user_id, const bj::object& message) {
  const auto* content = member(message, "content", bj::kind::string);
  if (!content) throw AppError::invalid("content", "is required and must be a string");
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
  const auto* id = member(response, "interruptId", bj::kind::string);
  if (!id) throw AppError::invalid("interruptId", "is required and must be a string");
  const auto* approved = member(response, "approved", bj::kind::bool_);
  if (!approved) throw AppError::invalid("approved", "is required and must be a boolean");
  const std::string interrupt(id->get_string());
  const auto thread = runtime_.thread_of_interrupt(user_id, interrupt);
  if (!thread) throw AppError::not_found("Interrupt");
  bj::object answer{{"interruptId", interrupt},
                    {"status", approved->get_bool() ? "resolved" : "cancelled"}};
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
