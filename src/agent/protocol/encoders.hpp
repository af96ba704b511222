#pragma once
// The two dialects of POST /api/agent (API.md §7).
//   AG-UI: the official events, one "data: {json}" frame each. `protocol_1_0` when the request
//     named a protocolVersion (as @ag-ui/client 1.x does); otherwise the pre-1.0 form that
//     @ag-ui/client 0.0.x parses: it knows no `cancelled` outcome (it gets a bare RUN_FINISHED)
//     and its success outcome is {type} alone (no pendingToolCallIds). Optional fields are
//     omitted, never null: the client rejects nulls.
//   Contract: message, tool_call, tool_result, state_update, ui, thinking, progress, interrupt,
//     error, done — each also named on an "event:" line — then "data: [DONE]".
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>

#include "agent/protocol/events.hpp"

namespace karma::agent {

std::unique_ptr<Encoder> agui_encoder(bool protocol_1_0, std::string thread_id, std::string run_id);
std::unique_ptr<Encoder> contract_encoder();
// An RFC 6901 pointer as the contract's dotted state path: "/project/progress" →
// "project.progress", "" → "".
std::string dotted_path(std::string_view pointer);
// What a person may answer an approval with: [{label, value}], values as a resume's `status`.
boost::json::array approval_options();

}  // namespace karma::agent
