#include "agent/agent_routes.hpp"

#include <boost/json.hpp>

namespace karma::agent {

using http::Request;
using http::Response;

namespace {

// X-Karma-Events: contract (or ?events=contract) asks for the contract's events.
bool wants_contract_events(const Request& req) {
  for (const auto& [name, value] : req.query)
    if (name == "events") return value == "contract";
  return req.header("x-karma-events") == "contract";
}

}  // namespace

void mount_agent_routes(http::Router& router, AgentRuntime& runtime) {
  using namespace http::schema;
  auto agent = router.group("/api/agent");
  agent
      .post("",
            [&runtime](Request& req) {
              // Everything that can be refused is refused here, as a JSON error envelope.
              PreparedRun run =
                  runtime.prepare(req.require_caller(), parse_run_input(req.json_body()),
                                  wants_contract_events(req));
              return Response::event_stream(
                  [&runtime, run = std::move(run)](std::shared_ptr<http::EventSink> sink) mutable {
                    runtime.start(std::move(run), std::move(sink));
                  });
            })
      .describe({.operation_id = "runAgent",
                 .summary = "Run the agent on a thread: AG-UI events (or the contract's) over SSE",
                 .tag = "Agent",
                 .query = {{"events", one_of(std::array<std::string_view, 1>{"contract"}),
                            "contract: the contract's events instead of AG-UI's"}},
                 .body = described(
                     boost::json::object{{"type", "object"}},
                     "AG-UI RunAgentInput {threadId, runId, messages, tools, context, state, "
                     "forwardedProps} or the contract form {messages, state?, tools?, context?, "
                     "options?}"),
                 .replies = {{200, boost::json::object{{"type", "string"}},
                              "text/event-stream events", "text/event-stream"}},
                 .errors = {404, 409}});
}

}  // namespace karma::agent
