#pragma once
// The agent feature (API.md §7): POST /api/agent. Its tools use the devices, projects and
// avatars services — the same rules as their REST routes.
#include <memory>

#include "agent/agent_chat.hpp"
#include "agent/llm/model.hpp"
#include "agent/runtime/agent_runtime.hpp"
#include "agent/tools/agent_tools.hpp"
#include "platform/module.hpp"

namespace karma::agent {

class AgentModule final : public Module {
 public:
  AgentModule(const Platform& platform, auth::UserDirectory& users, devices::DeviceService& devices,
              devices::CommandService& commands, projects::ProjectService& projects,
              avatars::AvatarService& avatars);
  void mount(http::Router& router, jobs::Scheduler& jobs) override;
  // Ends the runs in flight (RUN_ERROR) before the server goes.
  void stop() { runtime_.stop(); }
  // The agent as the realtime hub runs it.
  realtime::HubChat& chat() { return chat_; }

 private:
  BackendTools tools_;
  std::unique_ptr<Model> model_;  // the OpenAI-compatible provider, or the planner
  AgentRuntime runtime_;
  AgentChat chat_{runtime_};
};

}  // namespace karma::agent
