#pragma once
// SQL for devices, their tokens and their metrics samples.
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "db/database.hpp"

namespace karma::devices {

struct DeviceRecord {
  std::string id;
  std::string user_id;
  std::string name;
  std::string model;
  std::string status = "offline";
  std::string ip;
  std::string mac;
  std::string serial_number;
  std::string firmware_version = "1.0.0";
  std::optional<EpochMs> last_heartbeat;
  // JSON objects as stored: compact text this service wrote or the database merged. They pass
  // to responses as they are (parsing them for every listed device cost a fifth of the list).
  std::string capabilities = "{}";      // {aiComputing, videoProcessing, storage, networking}
  std::string hardware = "{}";          // {cpu, memory, storage, gpu?}
  std::string network = "{}";           // {type, signalStrength?, bandwidth?}
  std::optional<std::string> location;  // {latitude, longitude, address?}
  std::vector<std::string> tags;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

struct MetricsSample {
  EpochMs timestamp = 0;
  double cpu_usage = 0;
  double memory_usage = 0;
  double disk_usage = 0;
  double temperature = 0;
  std::int64_t uptime = 0;
};

// What a heartbeat reports; absent parts leave the stored values alone, objects are merged.
struct ReportedState {
  std::string status;
  std::optional<std::string> firmware_version, ip;
  std::optional<boost::json::object> hardware, capabilities, network;
};

// Who records a heartbeat: one of the device's live tokens (by its hash) or its owner.
struct HeartbeatSenderKey {
  bool is_token = true;
  std::string value;  // the token's SHA-256 hex, or the owner's user id
};

// A recorded heartbeat: the device as it now is and the status it had before.
struct RecordedHeartbeat {
  std::string previous_status;
  DeviceRecord device;
};

struct DeviceQuery {
  std::string user_id;
  std::optional<std::string> status, model, tag, q;
  std::string sort = "created_at";  // a column name, chosen from a fixed list by the service
  bool sort_nullable = false;       // the column has NULLs: they sort last either way
  bool descending = true;
  std::int64_t limit = 20;
  std::int64_t offset = 0;
};

struct StatusChange {
  std::string device_id;
  std::string user_id;
  std::string status;
  std::string previous_status;
  std::optional<EpochMs> last_heartbeat;
  std::string name;
};

class DeviceStore {
 public:
  std::int64_t count_owned(db::Connection& c, const std::string& user_id);
  // One page and the total count of the caller's matching devices.
  std::pair<std::vector<DeviceRecord>, std::int64_t> list(db::Connection& c, const DeviceQuery& q);
  // The device when `user_id` owns it.
  // The owner and name of a device, whoever asks (the device side of the gateway).
  std::optional<std::pair<std::string, std::string>> owner_and_name(db::Connection& c,
                                                                    const std::string& id);
  std::optional<DeviceRecord> find_owned(db::Connection& c, const std::string& id,
                                         const std::string& user_id);
  bool owned(db::Connection& c, const std::string& id, const std::string& user_id);
  std::vector<std::string> ids_of_user(db::Connection& c, const std::string& user_id);
  // Throws db::DbError (unique_violation) when the serial number is taken.
  void insert(db::Connection& c, const DeviceRecord& d);
  void update_profile(db::Connection& c, const DeviceRecord& d);
  // Records a heartbeat when `sender` may send it: the reported state, lastHeartbeat = `now`
  // and the metrics sample stamped `now`. nullopt: no such device, or not this sender's.
  std::optional<RecordedHeartbeat> record_heartbeat(db::Connection& c, const std::string& id,
                                                    const HeartbeatSenderKey& sender,
                                                    const ReportedState& state,
                                                    const MetricsSample& sample, EpochMs now);
  bool remove(db::Connection& c, const std::string& id, const std::string& user_id);

  void revoke_tokens(db::Connection& c, const std::string& device_id, EpochMs now);
  void insert_token(db::Connection& c, const std::string& device_id, const std::string& token_hash,
                    EpochMs now);
  // The device an unrevoked token belongs to.
  std::optional<std::string> device_of_token(db::Connection& c, const std::string& token_hash);
  std::vector<MetricsSample> samples(db::Connection& c, const std::string& device_id, EpochMs from,
                                     EpochMs to, std::int64_t limit);
  // Keeps the newest `keep` samples of every device and none older than `older_than`.
  std::int64_t prune_samples(db::Connection& c, std::int64_t keep, EpochMs older_than);

  // Marks offline every device not heard from since `cutoff`; returns what changed.
  std::vector<StatusChange> mark_silent_offline(db::Connection& c, EpochMs cutoff, EpochMs now);
};

}  // namespace karma::devices
