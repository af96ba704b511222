#include "realtime/hub_protocol.hpp"

#include <boost/json/parse.hpp>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/validation.hpp"

namespace karma::realtime::hub {

namespace bj = boost::json;

std::variant<ClientMessage, Malformed> parse_client_message(std::string_view text) {
  boost::system::error_code ec;
  const bj::value v = bj::parse(text, ec);
  if (ec || !v.is_object())
    return Malformed{"VALIDATION_ERROR", "A message is one JSON object {id, type, payload}", {}};
  const auto& o = v.get_object();
  ClientMessage m;
  if (const auto* id = o.if_contains("id"); id && !id->is_null()) {
    if (!id->is_string() || utf8_length(id->get_string()) > kMaxClientIdChars)
      return Malformed{"VALIDATION_ERROR", "id must be a string of at most 128 characters", {}};
    m.id = std::string(id->get_string());
  }
  const auto* type = o.if_contains("type");
  if (!type || !type->is_string() || type->get_string().empty())
    return Malformed{"VALIDATION_ERROR", "type must be a non-empty string", m.id};
  m.type = std::string(type->get_string());
  if (const auto* payload = o.if_contains("payload"); payload && !payload->is_null()) {
    if (!payload->is_object())
      return Malformed{"VALIDATION_ERROR", "payload must be an object", m.id};
    m.payload = payload->get_object();
  }
  return m;
}

std::string server_message(std::string_view type, bj::object payload, std::string_view session_id) {
  bj::object out{{"id", crypto::uuid_v4()},
                 {"type", type},
                 {"payload", std::move(payload)},
                 {"timestamp", now_ms()}};
  if (!session_id.empty()) out["sessionId"] = session_id;
  return json::serialize(out);
}

bj::object error_payload(std::string_view code, std::string_view message,
                         std::string_view reply_to) {
  bj::object out{{"code", code}, {"message", message}};
  if (!reply_to.empty()) out["replyTo"] = reply_to;
  return out;
}

bj::object unknown_type(std::string_view type, std::string_view reply_to) {
  return error_payload("VALIDATION_ERROR",
                       "Unknown message type: " + std::string(utf8_prefix(type, 64)), reply_to);
}

bj::object forbidden_topic(std::string_view topic, std::string_view reply_to) {
  const std::string shown(utf8_prefix(topic, 200));
  bj::object out = error_payload("FORBIDDEN", "You may not subscribe to " + shown, reply_to);
  out["topic"] = shown;
  return out;
}

std::optional<Topic> parse_topic(std::string_view topic) {
  const auto colon = topic.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == topic.size())
    return std::nullopt;
  Topic t{std::string(topic.substr(0, colon)), std::string(topic.substr(colon + 1))};
  for (const char* kind : {"device", "project", "avatar", "thread", "user"})
    if (t.kind == kind) return t;
  return std::nullopt;
}

}  // namespace karma::realtime::hub
