#include "agent/runtime/run_input.hpp"

#include <boost/json.hpp>

#include <array>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/validation.hpp"

namespace karma::agent {

namespace bj = boost::json;

namespace {

constexpr std::size_t kMaxMessages = 1000;
constexpr std::size_t kMaxContentChars = 100'000;
constexpr std::size_t kMaxTools = 64;
inline constexpr std::array<std::string_view, 5> kRoles{"user", "assistant", "tool", "system",
                                                        "developer"};

inline constexpr std::array<std::string_view, 2> kResumeStatuses{"resolved", "cancelled"};
const StringRule kId{1, 200};
const StringRule kContent{0, kMaxContentChars, false};
const StringRule kName{1, 64};

// AG-UI content: a string, or parts of which the text ones count.
// Calls `read(object, field)` for each element of `items` that is an object, `field` naming it
// ("messages[3]"); any other element is a violation.
template <class Read>
void each_object(const bj::array& items, std::string_view name, Violations& violations, Read read) {
  std::size_t i = 0;
  for (const auto& item : items) {
    const std::string field = std::string(name) + "[" + std::to_string(i++) + "]";
    if (const auto* o = item.if_object())
      read(*o, field);
    else
      violations.add({field, "must be an object"});
  }
}

std::optional<std::string> content_of(const bj::value* v, const std::string& field,
                                      Violations& violations) {
  if (!v || v->is_null()) return std::string();
  if (v->is_string()) {
    if (utf8_length(v->get_string()) > kMaxContentChars) {
      violations.add({field, "must be at most 100000 characters"});
      return std::nullopt;
    }
    return std::string(v->get_string());
  }
  if (v->is_array()) {
    std::string text;
    for (const auto& part : v->get_array()) {
      const auto* o = part.if_object();
      if (!o) {
        violations.add({field, "parts must be objects"});
        return std::nullopt;
      }
      if (const auto* t = o->if_contains("text"); t && t->is_string()) text += t->get_string();
    }
    if (utf8_length(text) > kMaxContentChars) {
      violations.add({field, "must be at most 100000 characters"});
      return std::nullopt;
    }
    return text;
  }
  violations.add({field, "must be a string or an array of parts"});
  return std::nullopt;
}

std::vector<StoredMessage> read_messages(const bj::object& body, Violations& violations) {
  std::vector<StoredMessage> out;
  const auto* list = body.if_contains("messages");
  if (!list || !list->is_array()) {
    violations.add({"messages", "is required and must be an array"});
    return out;
  }
  if (list->get_array().size() > kMaxMessages) {
    violations.add({"messages", "must hold at most 1000 messages"});
    return out;
  }
  each_object(
      list->get_array(), "messages", violations,
      [&](const bj::object& o, const std::string& field) {
        const std::size_t before = violations.size();
        JsonFields fields(o, violations, field);
        StoredMessage m;
        m.id = fields.string("id", kId, false).value_or(crypto::uuid_v4());
        m.role = fields.one_of("role", kRoles, true).value_or("");
        if (auto content = content_of(o.if_contains("content"), field + ".content", violations))
          m.content = std::move(*content);
        if (m.role == "tool") m.tool_call_id = fields.string("toolCallId", kId, true);
        if (const auto* calls = o.if_contains("toolCalls"); calls && !calls->is_null()) {
          if (!calls->is_array() || m.role != "assistant")
            fields.reject("toolCalls", "must be an array, on an assistant message");
          else
            m.tool_calls = json::serialize(*calls);
        }
        if (violations.size() == before) out.push_back(std::move(m));
      });
  return out;
}

std::vector<ToolSpec> read_tools(const bj::array& tools, Violations& violations) {
  std::vector<ToolSpec> out;
  if (tools.size() > kMaxTools) {
    violations.add({"tools", "must hold at most 64 tools"});
    return out;
  }
  each_object(tools, "tools", violations, [&](const bj::object& o, const std::string& field) {
    JsonFields fields(o, violations, field);
    ToolSpec t;
    t.name = fields.string("name", kName, true).value_or("");
    t.description = fields.string("description", {0, 2000}, false).value_or("");
    if (const auto* p = fields.object("parameters", false)) t.parameters = *p;
    if (!t.name.empty()) out.push_back(std::move(t));
  });
  return out;
}

}  // namespace

RunInput parse_run_input(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  RunInput in;
  in.thread_id = fields.string("threadId", kId, false).value_or(crypto::uuid_v4());
  in.run_id = fields.string("runId", kId, false).value_or(crypto::uuid_v4());
  in.protocol_1_0 = fields.string("protocolVersion", {1, 20}, false).has_value();
  in.messages = read_messages(body, violations);
  if (const auto* state = body.if_contains("state"); state && !state->is_null()) {
    if (!state->is_object())
      fields.reject("state", "must be an object");
    else
      in.client_state = *state;
  }
  // AG-UI: tools are objects the client runs; the contract: names of built-in tools to offer.
  if (const auto* tools = body.if_contains("tools"); tools && !tools->is_null()) {
    if (!tools->is_array()) {
      fields.reject("tools", "must be an array");
    } else if (!tools->get_array().empty() && tools->get_array().front().is_string()) {
      in.tool_names = fields.string_array("tools", kMaxTools, kName, false);
    } else {
      in.client_tools = read_tools(tools->get_array(), violations);
    }
  }
  // AG-UI context: [{description, value}]; the contract's: {userId, projectId?, deviceId?,
  // avatarId?}.
  if (const auto* context = body.if_contains("context"); context && !context->is_null()) {
    if (const auto* o = context->if_object()) {
      JsonFields inner(*o, violations, "context");
      in.avatar_id = inner.string("avatarId", kId, false);
      in.project_id = inner.string("projectId", kId, false);
    } else if (const auto* list = context->if_array()) {
      for (const auto& entry : *list) {
        const auto* e = entry.if_object();
        if (!e) continue;
        const auto* d = e->if_contains("description");
        const auto* v = e->if_contains("value");
        if (!d || !v || !d->is_string() || !v->is_string()) continue;
        if (d->get_string() == "avatarId") in.avatar_id = std::string(v->get_string());
        if (d->get_string() == "projectId") in.project_id = std::string(v->get_string());
      }
    } else {
      fields.reject("context", "must be an object or an array");
    }
  }
  if (const auto* props = body.if_contains("forwardedProps"); props && props->is_object()) {
    JsonFields inner(props->get_object(), violations, "forwardedProps");
    if (auto avatar = inner.string("avatarId", kId, false)) in.avatar_id = std::move(avatar);
    if (auto project = inner.string("projectId", kId, false)) in.project_id = std::move(project);
    if (auto model = inner.string("model", {1, 100}, false)) in.model = std::move(*model);
  }
  if (const auto* options = body.if_contains("options"); options && options->is_object()) {
    JsonFields inner(options->get_object(), violations, "options");
    if (auto model = inner.string("model", {1, 100}, false)) in.model = std::move(*model);
  }
  if (const auto* resume = body.if_contains("resume"); resume && !resume->is_null()) {
    if (!resume->is_array() || resume->get_array().size() > 100) {
      fields.reject("resume", "must be an array of at most 100 answers");
    } else {
      each_object(resume->get_array(), "resume", violations,
                  [&](const bj::object& o, const std::string& field) {
                    JsonFields entry(o, violations, field);
                    ResumeEntry r;
                    r.interrupt_id = entry.string("interruptId", kId, true).value_or("");
                    r.approved = entry.one_of("status", kResumeStatuses, true) == "resolved";
                    if (const auto* payload = o.if_contains("payload")) r.payload = *payload;
                    in.resume.push_back(std::move(r));
                  });
    }
  }
  violations.throw_if_any();
  return in;
}

}  // namespace karma::agent
