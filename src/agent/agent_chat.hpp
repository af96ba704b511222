#pragma once
// The agent as the realtime hub runs it (API.md §8): `chat_message` and `hitl_response` become
// runs of the same runtime as POST /api/agent, in the contract's events.
#include "agent/runtime/agent_runtime.hpp"
#include "realtime/hub.hpp"

namespace karma::agent {

class AgentChat final : public realtime::HubChat {
 public:
  explicit AgentChat(AgentRuntime& runtime) : runtime_(runtime) {}
  Run chat(const std::string& user_id, const boost::json::object& message) override;
  Run answer(const std::string& user_id, const boost::json::object& response) override;
  bool owns_thread(const std::string& user_id, const std::string& thread_id) override {
    return runtime_.owns_thread(user_id, thread_id);
  }

 private:
  Run start(const std::string& user_id, const boost::json::object& body);
  AgentRuntime& runtime_;
};

}  // namespace karma::agent
