// Frames a client sends to the realtime hub, as HubSession::on_message reads them: the
// envelope, the refusals that echo the client's type, id and topics, and topic names. Every
// answer the hub would build from them must be strict JSON.
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_common.hpp"
#include "realtime/hub_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace karma::realtime::hub;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_client_message(text);
  if (const auto* bad = std::get_if<Malformed>(&parsed)) {
    karma::fuzz::require_strict_json(
        server_message("error", error_payload(bad->code, bad->message, bad->reply_to)));
    return 0;
  }
  const ClientMessage& m = std::get<ClientMessage>(parsed);
  if (m.type.empty() || m.id.size() > 4 * kMaxClientIdChars) __builtin_trap();
  karma::fuzz::require_strict_json(server_message("error", unknown_type(m.type, m.id), "s"));
  if (const auto* topics = m.payload.if_contains("topics"); topics && topics->is_array())
    for (const auto& t : topics->get_array())
      if (t.is_string()) {
        karma::fuzz::require_strict_json(
            server_message("error", forbidden_topic(t.get_string(), m.id)));
        if (const auto topic = parse_topic(t.get_string()); topic && topic->id.empty())
          __builtin_trap();
      }
  return 0;
}
