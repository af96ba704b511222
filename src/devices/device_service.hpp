#pragma once
// Devices of a user: registry, device tokens, heartbeats and metrics, offline detection.
// Every call is scoped to the caller: another user's device is NOT_FOUND, never FORBIDDEN.
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "billing/plans.hpp"
#include "core/caller.hpp"
#include "core/validation.hpp"
#include "db/database.hpp"
#include "db/group_commit.hpp"
#include "devices/device_directory.hpp"
#include "devices/device_store.hpp"
#include "realtime/event_bus.hpp"

namespace karma::devices {

struct DeviceSettings {
  int heartbeat_interval_seconds = 30;  // a device is offline after 3 intervals of silence
  std::int64_t metrics_keep_per_device = 10'000;
  int metrics_retention_days = 30;
};

struct NewDevice {
  std::string name, model, serial_number, mac, ip;
  std::optional<boost::json::object> location;
  std::vector<std::string> tags;
};

struct DeviceChange {
  std::optional<std::string> name;
  bool location_given = false;  // location: absent (keep), null (clear) or an object (set)
  std::optional<boost::json::object> location;
  std::optional<std::vector<std::string>> tags;
};

struct Heartbeat {
  ReportedState state;
  MetricsSample metrics;  // timestamp is set by the server
};

struct DeviceList {
  std::optional<std::string> status, model, tag, q;
  std::string sort = "createdAt";  // name | createdAt | status | lastHeartbeat
  std::string order = "desc";
  Paging paging;
};

struct CreatedDevice {
  DeviceRecord device;
  std::string token;  // shown once
};

// Who sends a heartbeat: the device itself (its token) or its owner (a user).
struct HeartbeatSender {
  std::optional<std::string> device_token;
  std::optional<Caller> owner;
};

class DeviceService final : public DeviceDirectory {
 public:
  // Heartbeats are frequent, small and independent: they go through `commits` in batches.
  DeviceService(db::Database& db, db::GroupCommit& commits, realtime::EventBus& bus,
                billing::PlanDirectory& plans, DeviceSettings settings);

  std::pair<std::vector<DeviceRecord>, std::int64_t> list(const Caller& caller,
                                                          const DeviceList& request);
  CreatedDevice create(const Caller& caller, const NewDevice& input);
  DeviceRecord get(const Caller& caller, const std::string& id);
  DeviceRecord update(const Caller& caller, const std::string& id, const DeviceChange& change);
  void remove(const Caller& caller, const std::string& id);
  // DeviceDirectory, for the features that keep things per device (files).
  void require_owned(db::Connection& c, const Caller& caller, const std::string& id) override;
  std::vector<std::string> device_ids_of(db::Connection& c, const std::string& user_id) override;
  void on_remove(RemovalHook hook) override { removal_hooks_.push_back(std::move(hook)); }
  std::string rotate_token(const Caller& caller, const std::string& id);

  // Throws UNAUTHORIZED unless `token` is a live token of device `id`.
  void verify_token(const std::string& id, const std::string& token);
  // The device after the heartbeat, or the error; called once, on a committer thread.
  using HeartbeatDone = std::function<void(const DeviceRecord*, std::exception_ptr)>;
  void heartbeat(HeartbeatSender sender, std::string id, Heartbeat beat, HeartbeatDone done);
  // The same, waiting for the commit.
  DeviceRecord heartbeat(const HeartbeatSender& sender, const std::string& id,
                         const Heartbeat& beat);
  std::vector<MetricsSample> metrics(const Caller& caller, const std::string& id,
                                     std::optional<EpochMs> from, std::optional<EpochMs> to,
                                     std::int64_t limit);

  // Background jobs.
  std::vector<StatusChange> mark_silent_devices_offline();
  std::int64_t prune_metrics();

  const DeviceSettings& settings() const { return settings_; }

 private:
  DeviceRecord owned_device(db::Connection& c, const Caller& caller, const std::string& id);
  std::string issue_token(db::Connection& c, const std::string& device_id, EpochMs now);
  void check_token(db::Connection& c, const std::string& id, const std::string& token);
  void publish_status(const StatusChange& change);

  db::Database& db_;
  db::GroupCommit& commits_;
  billing::PlanDirectory& plans_;
  realtime::EventBus& bus_;
  DeviceSettings settings_;
  DeviceStore store_;
  std::vector<RemovalHook> removal_hooks_;
};

}  // namespace karma::devices
