#pragma once
// What other features may ask the avatars feature: which avatars a caller may give work to, how
// to show an assignee, and where the work of a task stands — which keeps each avatar's
// performance, earnings and status. Calls take the caller's connection, so they are part of the
// caller's transaction.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/caller.hpp"
#include "core/clock.hpp"

namespace karma::db {
class Connection;
}

namespace karma::avatars {

// The tools an avatar may be given: the ones the agent knows.
inline constexpr std::array<std::string_view, 7> kAgentTools{
    "searchDatabase", "assignTask", "controlDevice",   "analyzePerformance",
    "openModal",      "navigateTo", "showNotification"};

struct AvatarSummary {
  std::string id;
  std::string name;
  std::optional<std::string> avatar;
  std::string owner_id;
};

// Where one task's work stands: its avatar (none when unassigned) and its status.
struct TaskWork {
  std::string task_id;
  std::optional<std::string> avatar_id;
  std::string status;  // todo | in_progress | review | completed
  EpochMs now = 0;
};

struct AvatarStatusChange {
  std::string avatar_id;
  std::string owner_id;
  std::string status;
};

class AvatarDirectory {
 public:
  virtual ~AvatarDirectory() = default;
  // An avatar the caller may give work to: their own (created or acquired copies), or a public
  // one they acquired. NOT_FOUND for one they cannot see, FORBIDDEN for a public one they have
  // not acquired.
  virtual AvatarSummary require_usable(db::Connection& c, const Caller& caller,
                                       const std::string& avatar_id) = 0;
  // Those of `ids` that exist; one statement.
  virtual std::vector<AvatarSummary> summaries(db::Connection& c,
                                               const std::vector<std::string>& ids) = 0;
  // Records where a task's work stands. Completing counts the task for its avatar (duration
  // from assignment, the avatar's price per task as earnings); leaving completed, or moving to
  // another avatar, takes that back. Returns the avatars whose status changed.
  virtual std::vector<AvatarStatusChange> record_work(db::Connection& c, const TaskWork& work) = 0;
  // These tasks are going away, and their work with them (one statement for all of them).
  // Returns the avatars whose status changed.
  virtual std::vector<AvatarStatusChange> forget_work(db::Connection& c,
                                                      const std::vector<std::string>& task_ids,
                                                      EpochMs now) = 0;
  // Tells the owners; call after the transaction commits.
  virtual void publish(const std::vector<AvatarStatusChange>& changes) = 0;
};

}  // namespace karma::avatars
