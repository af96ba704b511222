#include "agent/agent_module.hpp"

#include "agent/agent_routes.hpp"
#include "agent/llm/openai_model.hpp"
#include "agent/llm/planner.hpp"
#include "core/config.hpp"

namespace karma::agent {

namespace {

std::unique_ptr<Model> model_for(const Config& config) {
  if (config.openai_base_url.empty()) return std::make_unique<Planner>();
  return std::make_unique<OpenAIModel>(
      OpenAISettings{config.openai_base_url, config.openai_api_key, config.openai_model,
                     config.openai_connect_timeout_ms, config.openai_first_byte_timeout_ms,
                     config.openai_idle_timeout_ms});
}

}  // namespace

AgentModule::AgentModule(const Platform& platform, auth::UserDirectory& users,
                         devices::DeviceService& devices, devices::CommandService& commands,
                         projects::ProjectService& projects, avatars::AvatarService& avatars)
    : tools_(devices, commands, projects, avatars),
      model_(model_for(platform.config)),
      runtime_(platform.db, platform.bus, users, devices, projects, avatars, tools_, *model_,
               {.max_steps = platform.config.agent_max_steps,
                .run_deadline_ms = platform.config.agent_run_timeout_seconds * 1000LL}) {}

void AgentModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_agent_routes(router, runtime_);
}

}  // namespace karma::agent
