#include "agent/runtime/thread_store.hpp"

#include "core/crypto.hpp"
#include "db/sql.hpp"

namespace karma::agent {

using db::Timestamp;
using db::Value;

ThreadRecord ThreadStore::open(db::Connection& c, const std::string& id, const std::string& user_id,
                               EpochMs now) {
  c.query(
      "INSERT INTO agent_threads (id, user_id, created_at, updated_at) VALUES ($1, $2, $3, $3) "
      "ON CONFLICT (id) DO NOTHING",
      {id, user_id, Timestamp{now}});
  const auto r = c.query("SELECT id, user_id, state FROM agent_threads WHERE id = $1", {id});
  const auto& row = r.first();
  return {row.text(0), row.text(1), row.text(2)};
}

std::optional<std::string> ThreadStore::owner(db::Connection& c, const std::string& id) {
  const auto r = c.query("SELECT user_id FROM agent_threads WHERE id = $1", {id});
  if (r.empty()) return std::nullopt;
  return r.first().text(0);
}

bool ThreadStore::claim(db::Connection& c, const std::string& id, const std::string& run_id,
                        EpochMs now, EpochMs until) {
  return c.query(
              "UPDATE agent_threads SET active_run_id = $2, active_until = $4 WHERE id = $1 AND "
              "(active_run_id IS NULL OR active_until < $3)",
              {id, run_id, Timestamp{now}, Timestamp{until}})
             .affected == 1;
}

void ThreadStore::release(db::Connection& c, const std::string& id, const std::string& run_id) {
  c.query(
      "UPDATE agent_threads SET active_run_id = NULL, active_until = NULL WHERE id = $1 AND "
      "active_run_id = $2",
      {id, run_id});
}

void ThreadStore::save_state(db::Connection& c, const std::string& id, const std::string& state,
                             EpochMs now) {
  c.query("UPDATE agent_threads SET state = $2, updated_at = $3 WHERE id = $1",
          {id, state, Timestamp{now}});
}

std::vector<std::string> ThreadStore::known_ids(db::Connection& c, const std::string& thread_id,
                                                const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  if (ids.empty()) return out;
  for (const auto& row : c.query("SELECT id FROM agent_messages WHERE thread_id = $1 AND " +
                                     db::text_in(c.dialect(), "id", 2),
                                 {thread_id, db::encode_text_array(ids)})
                             .rows)
    out.push_back(row.text(0));
  return out;
}

void ThreadStore::append(db::Connection& c, const std::string& thread_id, const StoredMessage& m,
                         EpochMs now) {
  const auto optional = [](const std::optional<std::string>& text) {
    return text ? Value(*text) : Value(nullptr);
  };
  c.query(
      "INSERT INTO agent_messages (thread_id, id, seq, role, content, tool_calls, tool_call_id, "
      "created_at) VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM agent_messages WHERE "
      "thread_id = $8), $3, $4, $5, $6, $7) ON CONFLICT (thread_id, id) DO NOTHING",
      // The thread id twice: PostgreSQL gives one parameter one type (VARCHAR here, TEXT there).
      {thread_id, m.id, m.role, m.content, optional(m.tool_calls), optional(m.tool_call_id),
       Timestamp{now}, thread_id});
}

namespace {

constexpr const char* kInterruptColumns =
    "id, run_id, tool_call_id, tool_name, arguments, status, message, created_at, expires_at, "
    "result";

std::vector<InterruptRecord> interrupts_from(db::Result result) {
  std::vector<InterruptRecord> out;
  out.reserve(result.rows.size());
  for (auto& r : result.rows)
    out.push_back({r.take_text(0), r.take_text(1), r.take_text(2), r.take_text(3), r.take_text(4),
                   r.take_text(5), r.take_text(6), r.time(7), r.time(8), r.take_opt_text(9)});
  return out;
}

}  // namespace

void ThreadStore::insert_interrupt(db::Connection& c, const std::string& thread_id,
                                   const InterruptRecord& i) {
  c.query(
      "INSERT INTO agent_interrupts (id, thread_id, run_id, tool_call_id, tool_name, arguments, "
      "status, message, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {i.id, thread_id, i.run_id, i.tool_call_id, i.tool_name, i.arguments, i.status, i.message,
       Timestamp{i.created_at}, Timestamp{i.expires_at}});
}

std::vector<InterruptRecord> ThreadStore::pending_interrupts(db::Connection& c,
                                                             const std::string& thread_id) {
  return interrupts_from(c.query(std::string("SELECT ") + kInterruptColumns +
                                     " FROM agent_interrupts WHERE thread_id = $1 AND status = "
                                     "'pending' ORDER BY created_at, id",
                                 {thread_id}));
}

std::optional<std::string> ThreadStore::thread_of_interrupt(db::Connection& c,
                                                            const std::string& id,
                                                            const std::string& user_id) {
  if (!crypto::is_uuid(id)) return std::nullopt;  // ids are UUIDs: anything else names none
  const auto r = c.query(
      "SELECT i.thread_id FROM agent_interrupts i JOIN agent_threads t ON t.id = i.thread_id "
      "WHERE i.id = $1 AND t.user_id = $2",
      {id, user_id});
  if (r.empty()) return std::nullopt;
  return r.first().text(0);
}

std::vector<InterruptRecord> ThreadStore::interrupts(db::Connection& c,
                                                     const std::string& thread_id,
                                                     const std::vector<std::string>& ids) {
  std::vector<std::string> valid;  // ids are UUIDs: anything else names none
  for (const auto& id : ids)
    if (crypto::is_uuid(id)) valid.push_back(id);
  if (valid.empty()) return {};
  return interrupts_from(c.query(std::string("SELECT ") + kInterruptColumns +
                                     " FROM agent_interrupts WHERE thread_id = $1 AND " +
                                     db::id_in(c.dialect(), "id", 2),
                                 {thread_id, db::id_list(c.dialect(), valid)}));
}

void ThreadStore::answer_interrupt(db::Connection& c, const std::string& id,
                                   const std::string& status, const std::string& result,
                                   EpochMs now) {
  c.query("UPDATE agent_interrupts SET status = $2, result = $3, resolved_at = $4 WHERE id = $1",
          {id, status, result, Timestamp{now}});
}

std::vector<StoredMessage> ThreadStore::recent(db::Connection& c, const std::string& thread_id,
                                               std::int64_t limit) {
  auto result = c.query(
      "SELECT id, role, content, tool_calls, tool_call_id FROM agent_messages WHERE thread_id = "
      "$1 ORDER BY seq DESC LIMIT $2",
      {thread_id, limit});
  std::vector<StoredMessage> out;
  out.reserve(result.rows.size());
  for (auto it = result.rows.rbegin(); it != result.rows.rend(); ++it)
    out.push_back({it->take_text(0), it->take_text(1), it->take_text(2), it->take_opt_text(3),
                   it->take_opt_text(4)});
  return out;
}

}  // namespace karma::agent
