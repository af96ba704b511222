#include "devices/command_service.hpp"

#include "core/app_error.hpp"
#include "core/crypto.hpp"

namespace karma::devices {

CommandService::CommandService(db::Database& db, realtime::EventBus& bus) : db_(db), bus_(bus) {}

void CommandService::require_device(db::Connection& c, const Caller& caller,
                                    const std::string& device_id) {
  if (!crypto::is_uuid(device_id) || !devices_.find_owned(c, device_id, caller.user_id))
    throw AppError::not_found("Device");
}

CommandRecord CommandService::create(const Caller& caller, const std::string& device_id,
                                     const NewCommand& in) {
  CommandRecord r;
  r.id = crypto::uuid_v4();
  r.device_id = device_id;
  r.command = in.command;
  r.params = in.params;
  r.timeout_ms = in.timeout_ms;
  r.created_at = r.updated_at = now_ms();
  r.expires_at = r.created_at + in.timeout_ms;
  db_.transaction([&](db::Connection& c) {
    require_device(c, caller, device_id);
    store_.insert(c, r);
  });
  bus_.publish(realtime::topics::device(device_id),
               {"device_command", caller.user_id, {{"deviceId", device_id}, {"commandId", r.id}}});
  return r;
}

std::pair<std::vector<CommandRecord>, std::int64_t> CommandService::list(
    const Caller& caller, const std::string& device_id, const Paging& paging) {
  auto c = db_.acquire();
  require_device(*c, caller, device_id);
  return store_.list(*c, device_id, paging.page_size, paging.offset());
}

CommandRecord CommandService::get(const Caller& caller, const std::string& device_id,
                                  const std::string& id) {
  auto c = db_.acquire();
  require_device(*c, caller, device_id);
  auto found = crypto::is_uuid(id) ? store_.find(*c, device_id, id) : std::nullopt;
  if (!found) throw AppError::not_found("Command");
  return std::move(*found);
}

std::vector<CommandRecord> CommandService::take_queued(const std::string& device_id, bool resend) {
  return db_.transaction(
      [&](db::Connection& c) { return store_.take_queued(c, device_id, now_ms(), resend); });
}

bool CommandService::acknowledge(const std::string& device_id, const std::string& id) {
  auto c = db_.acquire();
  return store_.transition(*c, device_id, id, {"queued", "sent"}, "acked", std::nullopt,
                           std::nullopt, now_ms());
}

bool CommandService::finish(const std::string& device_id, const std::string& id,
                            const CommandOutcome& outcome) {
  auto c = db_.acquire();
  if (!store_.transition(*c, device_id, id, {"queued", "sent", "acked"}, outcome.status,
                         outcome.result, outcome.error, now_ms()))
    return false;
  // The owner hears how it went, on every session.
  const auto command = store_.find(*c, device_id, id);
  const auto owner = devices_.owner_and_name(*c, device_id);
  if (command && owner) {
    const bool ok = outcome.status == "succeeded";
    std::string message =
        command->command + (ok ? " succeeded on " : " failed on ") + owner->second;
    if (!ok && outcome.error) message += ": " + *outcome.error;
    bus_.publish(realtime::topics::user(owner->first),
                 realtime::notification(owner->first, ok ? "Command succeeded" : "Command failed",
                                        message, ok ? "success" : "error"));
  }
  return true;
}

std::int64_t CommandService::expire_overdue() {
  auto c = db_.acquire();
  return store_.expire_overdue(*c, now_ms());
}

}  // namespace karma::devices
