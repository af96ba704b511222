#pragma once
#include <optional>
#include <string>

namespace karma::agent {

// One message as the thread keeps it (AG-UI's shape: tool calls as their JSON array text).
struct StoredMessage {
  std::string id;
  std::string role;  // user | assistant | tool | system | developer
  std::string content;
  std::optional<std::string> tool_calls;    // JSON array text, assistant messages
  std::optional<std::string> tool_call_id;  // tool messages
};

struct ThreadRecord {
  std::string id;
  std::string user_id;
  std::string state;  // JSON object text
};

}  // namespace karma::agent
