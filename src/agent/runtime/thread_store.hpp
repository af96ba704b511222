#pragma once
// SQL of agent threads and their messages. Every call takes the connection it runs on.
#include <optional>
#include <string>
#include <vector>

#include "agent/runtime/stored_message.hpp"
#include "core/clock.hpp"
#include "db/database.hpp"

namespace karma::agent {

// A tool call waiting for the user's approval (human-in-the-loop).
struct InterruptRecord {
  std::string id;
  std::string run_id;
  std::string tool_call_id;
  std::string tool_name;
  std::string arguments;           // JSON object text
  std::string status = "pending";  // pending | resolved | cancelled | expired
  std::string message;
  EpochMs created_at = 0;
  EpochMs expires_at = 0;
  std::optional<std::string> result;  // the tool message's content, once answered
};

class ThreadStore {
 public:
  // The thread, created for `user_id` when it does not exist yet.
  ThreadRecord open(db::Connection& c, const std::string& id, const std::string& user_id,
                    EpochMs now);
  // Whose the thread is; nullopt when there is no such thread.
  std::optional<std::string> owner(db::Connection& c, const std::string& id);
  // True when the run took the thread: no other run holds it (or its hold lapsed).
  bool claim(db::Connection& c, const std::string& id, const std::string& run_id, EpochMs now,
             EpochMs until);
  void release(db::Connection& c, const std::string& id, const std::string& run_id);
  void save_state(db::Connection& c, const std::string& id, const std::string& state, EpochMs now);

  // Of `ids`, those the thread holds already.
  std::vector<std::string> known_ids(db::Connection& c, const std::string& thread_id,
                                     const std::vector<std::string>& ids);
  void append(db::Connection& c, const std::string& thread_id, const StoredMessage& m, EpochMs now);
  void insert_interrupt(db::Connection& c, const std::string& thread_id, const InterruptRecord& i);
  // The thread's interrupts still pending (expired or not), oldest first.
  std::vector<InterruptRecord> pending_interrupts(db::Connection& c, const std::string& thread_id);
  // Of `ids` (any strings), the thread's interrupts.
  std::vector<InterruptRecord> interrupts(db::Connection& c, const std::string& thread_id,
                                          const std::vector<std::string>& ids);
  // The thread of interrupt `id` when it is a thread of `user_id`'s.
  std::optional<std::string> thread_of_interrupt(db::Connection& c, const std::string& id,
                                                 const std::string& user_id);
  void answer_interrupt(db::Connection& c, const std::string& id, const std::string& status,
                        const std::string& result, EpochMs now);
  // The last `limit` messages, oldest first.
  std::vector<StoredMessage> recent(db::Connection& c, const std::string& thread_id,
                                    std::int64_t limit);
};

}  // namespace karma::agent
