#pragma once
// The agent's tools as the model and the client see them (API.md §7): backend tools run on the
// server; frontend tools (and any the request declares) are the client's to run — the run ends
// after calling one. Every tool has a JSON Schema for its arguments, sent to the model and
// checked before a backend tool runs. Pure: no services, no database.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karma::agent {

struct ToolSpec {
  std::string name;
  std::string description;
  boost::json::object parameters;  // JSON Schema
  bool backend = false;
};

// The built-in tools, backend first.
const std::vector<ToolSpec>& builtin_tools();
const ToolSpec* find_builtin(std::string_view name);

// Why `args` does not satisfy `schema` (the subset our schemas use: type, properties, required,
// additionalProperties, enum, minimum, maximum, minLength, maxLength), or nothing.
std::optional<std::string> schema_violation(const boost::json::object& schema,
                                            const boost::json::value& args);

}  // namespace karma::agent
