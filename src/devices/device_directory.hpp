#pragma once
// What other features may ask the devices feature: whose a device is, which devices a user has,
// and to be told when one is deleted. Calls take the caller's connection, so they see (and
// lock with) the caller's transaction.
#include <functional>
#include <string>
#include <vector>

#include "core/caller.hpp"

namespace karma::db {
class Connection;
}

namespace karma::devices {

class DeviceDirectory {
 public:
  virtual ~DeviceDirectory() = default;
  // Throws NOT_FOUND unless device `id` is the caller's.
  virtual void require_owned(db::Connection& c, const Caller& caller, const std::string& id) = 0;
  virtual std::vector<std::string> device_ids_of(db::Connection& c, const std::string& user_id) = 0;
  // Runs inside the transaction that deletes a device (rows referencing it go with it); the
  // step it returns runs after that transaction commits.
  using RemovalHook = std::function<std::function<void()>(db::Connection&, const std::string&)>;
  virtual void on_remove(RemovalHook hook) = 0;
};

}  // namespace karma::devices
