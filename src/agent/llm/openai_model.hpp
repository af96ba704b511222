#pragma once
// An OpenAI-compatible Chat Completions provider (OpenAI, Azure-style gateways, vLLM, Ollama,
// aimock …), streamed: text, reasoning and tool-call argument deltas are forwarded as they
// arrive, parallel tool calls by their index. Connect, first-byte and idle timeouts; a failed
// or garbled answer is a ModelError (the run's RUN_ERROR); cancelling the run aborts the
// request.
#include <memory>
#include <string>

#include "agent/llm/model.hpp"
#include "http/outbound.hpp"

namespace karma::agent {

struct OpenAISettings {
  std::string base_url;  // http(s)://host[:port][/path], the path before /chat/completions
  std::string api_key;
  std::string default_model;
  int connect_timeout_ms = 5000;
  int first_byte_timeout_ms = 60000;
  int idle_timeout_ms = 30000;
};

class OpenAIModel final : public Model {
 public:
  explicit OpenAIModel(OpenAISettings settings);
  void complete(const ModelRequest& request, ModelOutput& out) override;

 private:
  OpenAISettings settings_;
  std::string path_;  // of /chat/completions under the base URL
  std::unique_ptr<http::OutboundClient> client_;
};

}  // namespace karma::agent
