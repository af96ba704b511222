#pragma once
// What the run loop asks of a model — the built-in planner or an LLM provider — and how the
// model streams its answer back: text, reasoning, tool calls with their arguments in pieces.
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "agent/runtime/thread_store.hpp"
#include "agent/tools/agent_tools.hpp"
#include "http/outbound.hpp"

namespace karma::agent {

struct ModelRequest {
  const std::vector<StoredMessage>& messages;  // the thread's recent history, oldest first
  const std::vector<ToolSpec>& tools;
  const std::string& system_prompt;
  const std::string& model;
  const boost::json::value& state;             // the shared state (user, devices, avatars, …)
  http::Cancellation* cancellation = nullptr;  // cancelled when the run must stop at once
};

class ModelOutput {
 public:
  virtual ~ModelOutput() = default;
  virtual void text(std::string_view delta) = 0;
  virtual void reasoning(std::string_view delta) = 0;
  virtual void tool_call_start(const std::string& id, const std::string& name) = 0;
  virtual void tool_call_args(const std::string& id, std::string_view delta) = 0;
  virtual void tool_call_end(const std::string& id) = 0;
  // The model should stop: the client went away, the deadline passed, the server stops.
  virtual bool cancelled() const = 0;
};

struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Model {
 public:
  virtual ~Model() = default;
  // Streams one answer into `out`; ModelError when the provider fails.
  virtual void complete(const ModelRequest& request, ModelOutput& out) = 0;
};

}  // namespace karma::agent
