// Messages a device sends over the gateway WebSocket, as DeviceLink::on_message reads them:
// parse_object, the message's type and command fields, a heartbeat's body.
#include <cstdint>
#include <string>

#include "core/crypto.hpp"
#include "devices/command_json.hpp"
#include "devices/device_json.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace karma;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::refusable([&] {
    const boost::json::object message = json::parse_object(text);
    const devices::DeviceMessage m = devices::parse_device_message(message);
    if (m.type == "heartbeat") (void)devices::parse_heartbeat(message);
    if (m.type == "ack" || m.type == "result") {
      if (!crypto::is_uuid(m.command_id)) __builtin_trap();  // PostgreSQL would refuse it
      if (m.outcome.result) fuzz::require_strict_json(json::serialize(*m.outcome.result));
    }
  });
  return 0;
}
