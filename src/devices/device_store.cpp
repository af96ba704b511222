#include "devices/device_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <unordered_set>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/unicode.hpp"
#include "core/validation.hpp"
#include "db/sql.hpp"

namespace karma::devices {

namespace bj = boost::json;
using db::Timestamp;
using db::Value;

namespace {

// A stored JSON object column; NULL (rows older than the defaults) reads as {}.
std::string object_text(const std::optional<std::string>& text) {
  return text ? *text : "{}";
}

constexpr std::size_t kDeviceColumns = 17;  // what columns() selects, read by device_from()

std::string columns(db::Dialect d) {
  return "id, user_id, name, model, status, ip, mac, serial_number, firmware_version, "
         "last_heartbeat, capabilities, hardware, network, location, " +
         db::text_array_select(d, "tags") + ", created_at, updated_at";
}

DeviceRecord device_from(const db::Row& r) {
  DeviceRecord d;
  d.id = r.text(0);
  d.user_id = r.text(1);
  d.name = r.text(2);
  d.model = r.text(3);
  d.status = r.text(4);
  d.ip = r.text(5);
  d.mac = r.text(6);
  d.serial_number = r.text(7);
  d.firmware_version = r.text(8);
  d.last_heartbeat = r.opt_time(9);
  d.capabilities = object_text(r.opt_text(10));
  d.hardware = object_text(r.opt_text(11));
  d.network = object_text(r.opt_text(12));
  d.location = r.opt_text(13);
  d.tags = db::decode_text_array(r.text(14));
  d.created_at = r.time(15);
  d.updated_at = r.time(16);
  return d;
}

Value json_or_null(const std::optional<bj::object>& o) {
  return o ? Value(json::serialize(*o)) : Value(nullptr);
}

Value text_or_null(const std::optional<std::string>& text) {
  return text ? Value(*text) : Value(nullptr);
}

}  // namespace

std::int64_t DeviceStore::count_owned(db::Connection& c, const std::string& user_id) {
  return c.query("SELECT COUNT(*) FROM devices WHERE user_id = $1", {user_id}).first().integer(0);
}

std::pair<std::vector<DeviceRecord>, std::int64_t> DeviceStore::list(db::Connection& c,
                                                                     const DeviceQuery& q) {
  std::string where = " FROM devices WHERE user_id = $1";
  db::Params params{q.user_id};
  const auto next = [&params] { return "$" + std::to_string(params.size()); };
  if (q.status) {
    params.emplace_back(*q.status);
    where += " AND status = " + next();
  }
  if (q.model) {
    params.emplace_back(*q.model);
    where += " AND model = " + next();
  }
  if (q.tag) {
    params.emplace_back(*q.tag);
    where += " AND " + db::text_array_contains(c.dialect(), "tags", int(params.size()));
  }
  if (q.q) {
    params.emplace_back(db::contains_pattern(unicode_lower(*q.q)));
    where += " AND (" + db::lowered(c.dialect(), "name") + " LIKE " + next() + " ESCAPE '\\' OR " +
             db::lowered(c.dialect(), "serial_number") + " LIKE " + next() + " ESCAPE '\\')";
  }
  // The total rides along as an uncorrelated subquery, computed once per statement: one round
  // trip instead of two. (A COUNT(*) OVER () window copies every matching row and measured 4x
  // slower.) An empty page carries no total, so only then is it counted on its own.
  // NULLS LAST only where NULLs exist: on a NOT NULL column it would keep PostgreSQL from
  // reading the (user_id, created_at, id) index backwards for the newest-first default.
  const std::string direction = q.descending ? " DESC" : " ASC";
  std::string sql = "SELECT " + columns(c.dialect());
  sql += ", (SELECT COUNT(*)" + where;
  sql += ")" + where + " ORDER BY " + q.sort + direction;
  if (q.sort_nullable) sql += " NULLS LAST";
  sql += ", id" + direction;
  db::Params page_params = params;
  page_params.emplace_back(q.limit);
  sql += " LIMIT $" + std::to_string(page_params.size());
  page_params.emplace_back(q.offset);
  sql += " OFFSET $" + std::to_string(page_params.size());
  const auto result = c.query(sql, page_params);
  std::vector<DeviceRecord> devices;
  devices.reserve(result.rows.size());
  for (const auto& row : result.rows) devices.push_back(device_from(row));
  const std::int64_t total = result.rows.empty()
                                 ? c.query("SELECT COUNT(*)" + where, params).first().integer(0)
                                 : result.first().integer(kDeviceColumns);
  return {std::move(devices), total};
}

std::optional<DeviceRecord> DeviceStore::find_owned(db::Connection& c, const std::string& id,
                                                    const std::string& user_id) {
  const auto r =
      c.query("SELECT " + columns(c.dialect()) + " FROM devices WHERE id = $1 AND user_id = $2",
              {id, user_id});
  if (r.empty()) return std::nullopt;
  return device_from(r.first());
}

std::optional<std::pair<std::string, std::string>> DeviceStore::owner_and_name(
    db::Connection& c, const std::string& id) {
  const auto r = c.query("SELECT user_id, name FROM devices WHERE id = $1", {id});
  if (r.empty()) return std::nullopt;
  return std::pair{r.first().text(0), r.first().text(1)};
}

bool DeviceStore::owned(db::Connection& c, const std::string& id, const std::string& user_id) {
  return !c.query("SELECT 1 FROM devices WHERE id = $1 AND user_id = $2", {id, user_id}).empty();
}

std::vector<std::string> DeviceStore::ids_of_user(db::Connection& c, const std::string& user_id) {
  const db::Result r = c.query("SELECT id FROM devices WHERE user_id = $1", {user_id});
  std::vector<std::string> ids;
  ids.reserve(r.rows.size());
  for (const auto& row : r.rows) ids.push_back(row.text(0));
  return ids;
}

void DeviceStore::insert(db::Connection& c, const DeviceRecord& d) {
  c.query(
      "INSERT INTO devices (id, user_id, name, model, status, ip, mac, serial_number, "
      "firmware_version, last_heartbeat, capabilities, hardware, network, location, tags, "
      "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
      "$13, $14, " +
          db::text_array_param(c.dialect(), 15) + ", $16, $17)",
      {d.id, d.user_id, d.name, d.model, d.status, d.ip, d.mac, d.serial_number, d.firmware_version,
       d.last_heartbeat ? Value(Timestamp{*d.last_heartbeat}) : Value(nullptr), d.capabilities,
       d.hardware, d.network, text_or_null(d.location), db::encode_text_array(d.tags),
       Timestamp{d.created_at}, Timestamp{d.updated_at}});
}

void DeviceStore::update_profile(db::Connection& c, const DeviceRecord& d) {
  c.query("UPDATE devices SET name = $1, location = $2, tags = " +
              db::text_array_param(c.dialect(), 3) + ", updated_at = $4 WHERE id = $5",
          {d.name, text_or_null(d.location), db::encode_text_array(d.tags), Timestamp{d.updated_at},
           d.id});
}

std::optional<RecordedHeartbeat> DeviceStore::record_heartbeat(
    db::Connection& c, const std::string& id, const HeartbeatSenderKey& sender,
    const ReportedState& s, const MetricsSample& sample, EpochMs now) {
  const auto d = c.dialect();
  const std::string report =
      "UPDATE devices SET status = $1, last_heartbeat = $2, updated_at = $2, "
      "firmware_version = COALESCE($3, firmware_version), ip = COALESCE($4, ip), "
      "hardware = " +
      db::json_merge(d, "hardware", 5) +
      ", capabilities = " + db::json_merge(d, "capabilities", 6) +
      ", network = " + db::json_merge(d, "network", 7);
  // May `sender` ($n) record device `d`'s heartbeat: one of its live tokens, or its owner.
  const auto allowed = [&sender](std::string_view n) {
    return sender.is_token ? "EXISTS (SELECT 1 FROM device_tokens t WHERE t.device_id = d.id "
                             "AND t.token_hash = " +
                                 std::string(n) + " AND t.revoked_at IS NULL)"
                           : "d.user_id = " + std::string(n);
  };
  db::Params params{s.status,
                    Timestamp{now},
                    text_or_null(s.firmware_version),
                    text_or_null(s.ip),
                    json_or_null(s.hardware),
                    json_or_null(s.capabilities),
                    json_or_null(s.network),
                    id};
  RecordedHeartbeat recorded;
  if (d == db::Dialect::postgres) {
    // One round trip instead of three: the check, the report and the sample in one statement.
    params.insert(params.end(), {sender.value, sample.cpu_usage, sample.memory_usage,
                                 sample.disk_usage, sample.temperature, sample.uptime});
    const auto r = c.query(
        "WITH previous AS (SELECT d.id AS device_id, d.status AS previous_status FROM devices d "
        "WHERE d.id = $8 AND " +
            allowed("$9") + " FOR UPDATE), updated AS (" + report +
            " FROM previous WHERE devices.id = previous.device_id RETURNING " + columns(d) +
            ", previous.previous_status), sample AS (INSERT INTO device_metrics (device_id, "
            "recorded_at, cpu_usage, memory_usage, disk_usage, temperature, uptime) "
            "SELECT id, $2, CAST($10 AS DOUBLE PRECISION), CAST($11 AS DOUBLE PRECISION), "
            "CAST($12 AS DOUBLE PRECISION), CAST($13 AS DOUBLE PRECISION), CAST($14 AS BIGINT) "
            "FROM updated) SELECT * FROM updated",
        params);
    if (r.empty()) return std::nullopt;
    recorded.previous_status = r.first().text(kDeviceColumns);
    recorded.device = device_from(r.first());
    return recorded;
  }
  // SQLite runs in process, where three statements cost no round trips.
  const auto previous = c.query(
      "SELECT d.status FROM devices d WHERE d.id = $1 AND " + allowed("$2"), {id, sender.value});
  if (previous.empty()) return std::nullopt;
  recorded.previous_status = previous.first().text(0);
  recorded.device =
      device_from(c.query(report + " WHERE id = $8 RETURNING " + columns(d), params).first());
  c.query(
      "INSERT INTO device_metrics (device_id, recorded_at, cpu_usage, memory_usage, "
      "disk_usage, temperature, uptime) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {id, Timestamp{now}, sample.cpu_usage, sample.memory_usage, sample.disk_usage,
       sample.temperature, sample.uptime});
  return recorded;
}

bool DeviceStore::remove(db::Connection& c, const std::string& id, const std::string& user_id) {
  return c.query("DELETE FROM devices WHERE id = $1 AND user_id = $2", {id, user_id}).affected == 1;
}

void DeviceStore::revoke_tokens(db::Connection& c, const std::string& device_id, EpochMs now) {
  c.query("UPDATE device_tokens SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL",
          {Timestamp{now}, device_id});
}

void DeviceStore::insert_token(db::Connection& c, const std::string& device_id,
                               const std::string& token_hash, EpochMs now) {
  c.query(
      "INSERT INTO device_tokens (id, device_id, token_hash, created_at) "
      "VALUES ($1, $2, $3, $4)",
      {crypto::uuid_v4(), device_id, token_hash, Timestamp{now}});
}

std::optional<std::string> DeviceStore::device_of_token(db::Connection& c,
                                                        const std::string& token_hash) {
  const auto r =
      c.query("SELECT device_id FROM device_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
              {token_hash});
  if (r.empty()) return std::nullopt;
  return r.first().text(0);
}

std::vector<MetricsSample> DeviceStore::samples(db::Connection& c, const std::string& device_id,
                                                EpochMs from, EpochMs to, std::int64_t limit) {
  // The newest `limit` samples in the range, returned oldest first.
  const auto r = c.query(
      "SELECT recorded_at, cpu_usage, memory_usage, disk_usage, temperature, uptime FROM ("
      "SELECT id, recorded_at, cpu_usage, memory_usage, disk_usage, temperature, uptime "
      "FROM device_metrics WHERE device_id = $1 AND recorded_at >= $2 AND recorded_at <= $3 "
      "ORDER BY recorded_at DESC, id DESC LIMIT $4) AS newest ORDER BY recorded_at, id",
      {device_id, Timestamp{from}, Timestamp{to}, limit});
  std::vector<MetricsSample> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows)
    out.push_back(
        {row.time(0), row.real(1), row.real(2), row.real(3), row.real(4), row.integer(5)});
  return out;
}

std::int64_t DeviceStore::prune_samples(db::Connection& c, std::int64_t keep, EpochMs older_than) {
  std::int64_t removed =
      c.query("DELETE FROM device_metrics WHERE recorded_at < $1", {Timestamp{older_than}})
          .affected;
  const auto crowded = c.query(
      "SELECT device_id FROM device_metrics GROUP BY device_id HAVING COUNT(*) > $1", {keep});
  for (const auto& row : crowded.rows) {
    removed += c.query(
                    "DELETE FROM device_metrics WHERE device_id = $1 AND id <= ("
                    "SELECT id FROM device_metrics WHERE device_id = $1 "
                    "ORDER BY recorded_at DESC, id DESC LIMIT 1 OFFSET $2)",
                    {row.text(0), keep})
                   .affected;
  }
  return removed;
}

std::vector<StatusChange> DeviceStore::mark_silent_offline(db::Connection& c, EpochMs cutoff,
                                                           EpochMs now) {
  // What they were, then one conditional update: when several instances run this at once, each
  // device changes (and is reported) by one of them.
  const std::string silent =
      "status <> 'offline' AND (last_heartbeat IS NULL OR last_heartbeat < $1)";
  const auto before =
      c.query("SELECT id, user_id, status, last_heartbeat, name FROM devices WHERE " + silent,
              {Timestamp{cutoff}});
  if (before.empty()) return {};
  const auto changed = c.query(
      "UPDATE devices SET status = 'offline', updated_at = $2 WHERE " + silent + " RETURNING id",
      {Timestamp{cutoff}, Timestamp{now}});
  std::unordered_set<std::string> ids;
  for (const auto& row : changed.rows) ids.insert(row.text(0));
  std::vector<StatusChange> out;
  for (const auto& was : before.rows)
    if (ids.contains(was.text(0)))
      out.push_back(
          {was.text(0), was.text(1), "offline", was.text(2), was.opt_time(3), was.text(4)});
  return out;
}

}  // namespace karma::devices
