#pragma once
// The hub's wire format (API.md §8), as the web app's WebSocketSessionManager speaks it: every
// message both ways is one JSON text frame {id, type, payload, timestamp, sessionId?}. Pure:
// no sockets, no database.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace karma::realtime::hub {

inline constexpr std::size_t kMaxClientIdChars = 128;

// A message a client sent, checked: `id` is a string of at most 128 characters (or absent),
// `type` a non-empty string, `payload` an object ({} when absent or null).
struct ClientMessage {
  std::string id;
  std::string type;
  boost::json::object payload;
};

// Why a frame is no message: answered with an `error`, the session kept.
struct Malformed {
  std::string code;  // VALIDATION_ERROR
  std::string message;
  std::string reply_to;  // the frame's id, when it had a usable one
};

std::variant<ClientMessage, Malformed> parse_client_message(std::string_view text);

// A server message: a fresh UUID id, the time, the session's id once it has one. A reply to a
// client message carries `replyTo` (that message's id) in its payload.
std::string server_message(std::string_view type, boost::json::object payload,
                           std::string_view session_id = {});
boost::json::object error_payload(std::string_view code, std::string_view message,
                                  std::string_view reply_to = {});

// The refusals that echo what the client sent, cut between characters so they stay UTF-8.
boost::json::object unknown_type(std::string_view type, std::string_view reply_to);
boost::json::object forbidden_topic(std::string_view topic, std::string_view reply_to);

// Topics a session may name (subscribe / unsubscribe): "<kind>:<id>".
struct Topic {
  std::string kind;  // device | project | avatar | thread | user
  std::string id;
};
std::optional<Topic> parse_topic(std::string_view topic);

}  // namespace karma::realtime::hub
