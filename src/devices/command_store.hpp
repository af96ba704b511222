#pragma once
// SQL for device commands (durable in device_commands).
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "db/database.hpp"

namespace karma::devices {

struct CommandRecord {
  std::string id;
  std::string device_id;
  std::string command;
  boost::json::object params;
  std::string status = "queued";  // queued → sent → acked → succeeded | failed; or expired
  std::optional<boost::json::value> result;
  std::optional<std::string> error;
  std::int64_t timeout_ms = 0;
  EpochMs expires_at = 0;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

class CommandStore {
 public:
  void insert(db::Connection& c, const CommandRecord& r);
  std::optional<CommandRecord> find(db::Connection& c, const std::string& device_id,
                                    const std::string& id);
  // Newest first, with the total count.
  std::pair<std::vector<CommandRecord>, std::int64_t> list(db::Connection& c,
                                                           const std::string& device_id,
                                                           std::int64_t limit, std::int64_t offset);
  // Queued commands of the device that have not expired, oldest first, now marked sent. With
  // `resend`, also those sent before and never acknowledged (a connection that died with them).
  std::vector<CommandRecord> take_queued(db::Connection& c, const std::string& device_id,
                                         EpochMs now, bool resend);
  // Moves a command from one of `from` to `to`; false when it was in no such state.
  bool transition(db::Connection& c, const std::string& device_id, const std::string& id,
                  std::initializer_list<const char*> from, const std::string& to,
                  const std::optional<boost::json::value>& result,
                  const std::optional<std::string>& error, EpochMs now);
  // Open commands past their timeout become expired; returns how many.
  std::int64_t expire_overdue(db::Connection& c, EpochMs now);
};

}  // namespace karma::devices
