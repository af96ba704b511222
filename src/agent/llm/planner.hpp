#pragma once
// The built-in offline planner, the default model: it understands plain Chinese and English
// requests for every tool ("列出在线设备", "reboot device Atlas", "assign task Write docs to
// avatar Ada", "how is avatar Ada doing this week", "search projects about launch", "go to
// devices") by matching words and the names in the shared state, calls the tool, and puts the
// result in a sentence. What it cannot map it answers plainly, saying what it can do.
#include "agent/llm/model.hpp"

namespace karma::agent {

class Planner final : public Model {
 public:
  void complete(const ModelRequest& request, ModelOutput& out) override;
};

}  // namespace karma::agent
