#pragma once
// POST /api/agent's body in either form of API.md §7 — AG-UI's RunAgentInput or the contract's
// {messages, state?, tools?, context?, options?} — read into one RunInput. VALIDATION_ERROR
// (with every violation) when malformed.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

#include "agent/runtime/stored_message.hpp"
#include "agent/tools/tool_spec.hpp"

namespace karma::agent {

// An answer to an interrupt: approved (resolved) or not (cancelled).
struct ResumeEntry {
  std::string interrupt_id;
  bool approved = false;
  boost::json::value payload;
};

struct RunInput {
  std::string thread_id;      // generated when absent
  std::string run_id;         // generated when absent
  bool protocol_1_0 = false;  // the request named a protocolVersion
  std::vector<StoredMessage> messages;
  std::vector<ToolSpec> client_tools;  // declared by the request; the client runs them
  std::optional<std::vector<std::string>> tool_names;  // contract form: only these built-ins
  boost::json::value client_state;  // what the client sent as state (its `ui` is kept)
  std::optional<std::string> avatar_id, project_id;
  std::string model;
  std::vector<ResumeEntry> resume;
};

RunInput parse_run_input(const boost::json::object& body);

}  // namespace karma::agent
