#include "devices/command_store.hpp"

#include <boost/json/parse.hpp>

#include "core/json.hpp"

namespace karma::devices {

namespace bj = boost::json;
using db::Timestamp;
using db::Value;

namespace {

constexpr const char* kColumns =
    "id, device_id, command, params, status, result, error, timeout_ms, expires_at, created_at, "
    "updated_at";

std::optional<bj::value> parse_json(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto v = bj::parse(*text, ec);
  if (ec) return std::nullopt;
  return v;
}

CommandRecord command_from(const db::Row& r) {
  CommandRecord c;
  c.id = r.text(0);
  c.device_id = r.text(1);
  c.command = r.text(2);
  if (auto params = parse_json(r.opt_text(3)); params && params->is_object())
    c.params = std::move(params->as_object());
  c.status = r.text(4);
  c.result = parse_json(r.opt_text(5));
  c.error = r.opt_text(6);
  c.timeout_ms = r.integer(7);
  c.expires_at = r.time(8);
  c.created_at = r.time(9);
  c.updated_at = r.time(10);
  return c;
}

}  // namespace

void CommandStore::insert(db::Connection& c, const CommandRecord& r) {
  c.query(std::string("INSERT INTO device_commands (") + kColumns +
              ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
          {r.id, r.device_id, r.command, json::serialize(r.params), r.status,
           r.result ? Value(json::serialize(*r.result)) : Value(nullptr),
           r.error ? Value(*r.error) : Value(nullptr), r.timeout_ms, Timestamp{r.expires_at},
           Timestamp{r.created_at}, Timestamp{r.updated_at}});
}

std::optional<CommandRecord> CommandStore::find(db::Connection& c, const std::string& device_id,
                                                const std::string& id) {
  const auto r = c.query(
      std::string("SELECT ") + kColumns + " FROM device_commands WHERE id = $1 AND device_id = $2",
      {id, device_id});
  if (r.empty()) return std::nullopt;
  return command_from(r.first());
}

std::pair<std::vector<CommandRecord>, std::int64_t> CommandStore::list(db::Connection& c,
                                                                       const std::string& device_id,
                                                                       std::int64_t limit,
                                                                       std::int64_t offset) {
  const auto r = c.query(std::string("SELECT ") + kColumns +
                             " FROM device_commands WHERE device_id = $1 "
                             "ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
                         {device_id, limit, offset});
  std::vector<CommandRecord> out;
  for (const auto& row : r.rows) out.push_back(command_from(row));
  const auto total =
      c.query("SELECT COUNT(*) FROM device_commands WHERE device_id = $1", {device_id})
          .first()
          .integer(0);
  return {std::move(out), total};
}

std::vector<CommandRecord> CommandStore::take_queued(db::Connection& c,
                                                     const std::string& device_id, EpochMs now,
                                                     bool resend) {
  const auto r =
      c.query(std::string("UPDATE device_commands SET status = 'sent', updated_at = $1 "
                          "WHERE device_id = $2 AND status IN ('queued'") +
                  (resend ? ", 'sent'" : "") + ") AND expires_at > $1 RETURNING " + kColumns,
              {Timestamp{now}, device_id});
  std::vector<CommandRecord> out;
  for (const auto& row : r.rows) out.push_back(command_from(row));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  return out;
}

bool CommandStore::transition(db::Connection& c, const std::string& device_id,
                              const std::string& id, std::initializer_list<const char*> from,
                              const std::string& to, const std::optional<bj::value>& result,
                              const std::optional<std::string>& error, EpochMs now) {
  std::string states;
  for (const char* s : from) states += std::string(states.empty() ? "'" : ", '") + s + "'";
  return c.query(
              "UPDATE device_commands SET status = $1, result = COALESCE($2, result), "
              "error = COALESCE($3, error), updated_at = $4 "
              "WHERE id = $5 AND device_id = $6 AND status IN (" +
                  states + ") AND expires_at > $4",
              {to, result ? Value(json::serialize(*result)) : Value(nullptr),
               error ? Value(*error) : Value(nullptr), Timestamp{now}, id, device_id})
             .affected == 1;
}

std::int64_t CommandStore::expire_overdue(db::Connection& c, EpochMs now) {
  return c
      .query(
          "UPDATE device_commands SET status = 'expired', updated_at = $1 "
          "WHERE status IN ('queued', 'sent', 'acked') AND expires_at <= $1",
          {Timestamp{now}})
      .affected;
}

}  // namespace karma::devices
