#include "agent/agent_module.hpp"

#include "agent/agent_routes.hpp"

namespace karma::agent {

AgentModule::AgentModule(const Platform& platform, auth::UserDirectory& users,
                         devices::DeviceService& devices, devices::CommandService& commands,
                         projects::ProjectService& projects, avatars::AvatarService& avatars)
    : tools_(devices, commands, projects, avatars),
      runtime_(platform.db, users, devices, projects, avatars, tools_, planner_, {}) {}

void AgentModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_agent_routes(router, runtime_);
}

}  // namespace karma::agent
