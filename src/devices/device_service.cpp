#include "devices/device_service.hpp"

#include <future>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"

namespace karma::devices {

namespace bj = boost::json;

namespace {

constexpr const char* kDevice = "Device";

std::string sort_column(const std::string& sort) {
  if (sort == "name") return "LOWER(name)";  // the same order on every database collation
  if (sort == "status") return "status";
  if (sort == "lastHeartbeat") return "last_heartbeat";
  return "created_at";
}

std::optional<std::string> stored_json(const std::optional<bj::object>& value) {
  if (!value) return std::nullopt;
  return json::serialize(*value);
}

}  // namespace

DeviceService::DeviceService(db::Database& db, db::GroupCommit& commits, realtime::EventBus& bus,
                             billing::PlanDirectory& plans, DeviceSettings settings)
    : db_(db), commits_(commits), plans_(plans), bus_(bus), settings_(settings) {}

DeviceRecord DeviceService::owned_device(db::Connection& c, const Caller& caller,
                                         const std::string& id) {
  // An id that is no UUID names nothing (and PostgreSQL's uuid column would refuse it).
  auto device = crypto::is_uuid(id) ? store_.find_owned(c, id, caller.user_id) : std::nullopt;
  if (!device) throw AppError::not_found(kDevice);
  return std::move(*device);
}

void DeviceService::require_owned(db::Connection& c, const Caller& caller, const std::string& id) {
  if (!crypto::is_uuid(id) || !store_.owned(c, id, caller.user_id))
    throw AppError::not_found(kDevice);
}

std::vector<std::string> DeviceService::device_ids_of(db::Connection& c,
                                                      const std::string& user_id) {
  return store_.ids_of_user(c, user_id);
}

std::string DeviceService::issue_token(db::Connection& c, const std::string& device_id,
                                       EpochMs now) {
  std::string token = "kdt_" + crypto::random_token(32);
  store_.insert_token(c, device_id, crypto::sha256_hex(token), now);
  return token;
}

std::pair<std::vector<DeviceRecord>, std::int64_t> DeviceService::list(const Caller& caller,
                                                                       const DeviceList& request) {
  DeviceQuery query;
  query.user_id = caller.user_id;
  query.status = request.status;
  query.model = request.model;
  query.tag = request.tag;
  query.q = request.q;
  query.sort = sort_column(request.sort);
  query.sort_nullable = request.sort == "lastHeartbeat";
  query.descending = request.order == "desc";
  query.limit = request.paging.page_size;
  query.offset = request.paging.offset();
  auto c = db_.acquire();
  return store_.list(*c, query);
}

CreatedDevice DeviceService::create(const Caller& caller, const NewDevice& input) {
  CreatedDevice created;
  DeviceRecord& d = created.device;
  d.id = crypto::uuid_v4();
  d.user_id = caller.user_id;
  d.name = input.name;
  d.model = input.model;
  d.serial_number = input.serial_number;
  d.mac = input.mac;
  d.ip = input.ip;
  d.location = stored_json(input.location);
  d.tags = input.tags;
  d.capabilities =
      R"({"aiComputing":false,"videoProcessing":false,"storage":false,"networking":false})";
  d.hardware = R"({"cpu":"Unknown","memory":0,"storage":0})";
  d.network = R"({"type":"ethernet"})";
  d.created_at = d.updated_at = now_ms();
  try {
    db_.transaction([&](db::Connection& c) {
      plans_.require_room(c, caller.user_id, billing::Resource::devices,
                          [&] { return store_.count_owned(c, caller.user_id); });
      store_.insert(c, d);
      created.token = issue_token(c, d.id, d.created_at);
    });
  } catch (const db::DbError& e) {
    if (e.kind() == db::DbError::Kind::unique_violation)
      throw AppError::conflict("A device with this serial number already exists", "serialNumber");
    throw;
  }
  return created;
}

DeviceRecord DeviceService::get(const Caller& caller, const std::string& id) {
  auto c = db_.acquire();
  return owned_device(*c, caller, id);
}

DeviceRecord DeviceService::update(const Caller& caller, const std::string& id,
                                   const DeviceChange& change) {
  return db_.transaction([&](db::Connection& c) {
    DeviceRecord d = owned_device(c, caller, id);
    if (change.name) d.name = *change.name;
    if (change.location_given) d.location = stored_json(change.location);
    if (change.tags) d.tags = *change.tags;
    d.updated_at = now_ms();
    store_.update_profile(c, d);
    return d;
  });
}

void DeviceService::remove(const Caller& caller, const std::string& id) {
  std::vector<std::function<void()>> after_commit;
  db_.transaction([&](db::Connection& c) {
    after_commit.clear();  // a retried transaction starts over
    require_owned(c, caller, id);
    for (const auto& hook : removal_hooks_) after_commit.push_back(hook(c, id));
    store_.remove(c, id, caller.user_id);
  });
  for (const auto& step : after_commit) step();
}

std::string DeviceService::rotate_token(const Caller& caller, const std::string& id) {
  return db_.transaction([&](db::Connection& c) {
    require_owned(c, caller, id);
    const EpochMs now = now_ms();
    store_.revoke_tokens(c, id, now);
    return issue_token(c, id, now);
  });
}

void DeviceService::check_token(db::Connection& c, const std::string& id,
                                const std::string& token) {
  // A token of another device is as good as no token: NOT_FOUND would reveal the id exists.
  const auto owner = store_.device_of_token(c, crypto::sha256_hex(token));
  if (!owner || *owner != id) throw AppError::unauthorized("Invalid device token");
}

void DeviceService::verify_token(const std::string& id, const std::string& token) {
  auto c = db_.acquire();
  check_token(*c, id, token);
}

void DeviceService::heartbeat(HeartbeatSender sender, std::string id, Heartbeat beat,
                              HeartbeatDone done) {
  if (!sender.device_token && !sender.owner)
    throw AppError::unauthorized("Device token or user token required");
  struct Pending {
    std::string id;
    Heartbeat beat;
    HeartbeatSenderKey sender;
    // Set by the write; a refusal is a result, not an exception, so it never fails the batch.
    std::optional<AppError> refusal;
    RecordedHeartbeat recorded;
  };
  const bool by_token = sender.device_token.has_value();
  auto pending = std::make_shared<Pending>(Pending{
      std::move(id),
      std::move(beat),
      {by_token, by_token ? crypto::sha256_hex(*sender.device_token) : sender.owner->user_id},
      {},
      {}});
  auto write = [this, pending](db::Connection& c) {
    Pending& p = *pending;
    p.refusal.reset();
    auto recorded =
        store_.record_heartbeat(c, p.id, p.sender, p.beat.state, p.beat.metrics, now_ms());
    if (!recorded) {
      p.refusal = p.sender.is_token ? AppError::unauthorized("Invalid device token")
                                    : AppError::not_found(kDevice);
      return;
    }
    p.recorded = std::move(*recorded);
  };
  auto finish = [this, pending, done = std::move(done)](std::exception_ptr error) {
    const Pending& p = *pending;
    if (!error && p.refusal) error = std::make_exception_ptr(*p.refusal);
    if (error) return done(nullptr, error);
    const DeviceRecord& device = p.recorded.device;
    if (p.recorded.previous_status != device.status)
      publish_status({device.id, device.user_id, device.status, p.recorded.previous_status,
                      device.last_heartbeat, device.name});
    done(&device, nullptr);
  };
  const std::string lock_key = pending->id;  // the devices row the write locks
  commits_.submit(lock_key, std::move(write), std::move(finish));
}

DeviceRecord DeviceService::heartbeat(const HeartbeatSender& sender, const std::string& id,
                                      const Heartbeat& beat) {
  std::promise<DeviceRecord> outcome;
  heartbeat(sender, id, beat, [&outcome](const DeviceRecord* device, std::exception_ptr error) {
    if (error) return outcome.set_exception(error);
    outcome.set_value(*device);
  });
  return outcome.get_future().get();
}

std::vector<MetricsSample> DeviceService::metrics(const Caller& caller, const std::string& id,
                                                  std::optional<EpochMs> from,
                                                  std::optional<EpochMs> to, std::int64_t limit) {
  const EpochMs until = to.value_or(now_ms());
  const EpochMs since = from.value_or(until - 24 * 3600 * 1000);
  // Only a range the caller spelled out can be backwards; a `from` ahead of the default `to`
  // (now) is simply a range with nothing in it yet.
  if (from && to && *from > *to) throw AppError::invalid("from", "must not be after to");
  auto c = db_.acquire();
  require_owned(*c, caller, id);
  return store_.samples(*c, id, since, until, limit);
}

std::vector<StatusChange> DeviceService::mark_silent_devices_offline() {
  const EpochMs now = now_ms();
  const EpochMs cutoff = now - 3 * EpochMs(settings_.heartbeat_interval_seconds) * 1000;
  std::vector<StatusChange> changes;
  {
    auto c = db_.acquire();
    changes = store_.mark_silent_offline(*c, cutoff, now);
  }
  for (const auto& change : changes) {
    publish_status(change);
    bus_.publish(
        realtime::topics::user(change.user_id),
        realtime::notification(change.user_id, "Device offline",
                               change.name + " has gone silent and is offline now", "warning"));
  }
  return changes;
}

std::int64_t DeviceService::prune_metrics() {
  const EpochMs horizon = now_ms() - EpochMs(settings_.metrics_retention_days) * 86'400'000;
  return db_.transaction([&](db::Connection& c) {
    return store_.prune_samples(c, settings_.metrics_keep_per_device, horizon);
  });
}

void DeviceService::publish_status(const StatusChange& change) {
  boost::json::object payload{{"deviceId", change.device_id},
                              {"status", change.status},
                              {"previousStatus", change.previous_status},
                              {"lastHeartbeat", nullptr}};
  if (change.last_heartbeat) payload["lastHeartbeat"] = *change.last_heartbeat;
  bus_.publish(realtime::topics::user(change.user_id),
               {"device_status", change.user_id, std::move(payload)});
}

}  // namespace karma::devices
