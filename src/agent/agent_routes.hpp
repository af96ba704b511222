#pragma once
#include "agent/runtime/agent_runtime.hpp"
#include "http/router.hpp"

namespace karma::agent {

// POST /api/agent (API.md §7).
void mount_agent_routes(http::Router& router, AgentRuntime& runtime);

}  // namespace karma::agent
