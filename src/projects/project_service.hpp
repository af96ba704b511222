#pragma once
// Projects, their members and tasks (API.md §4). Every call is scoped to the caller's
// membership: a project they are not a member of is NOT_FOUND, never FORBIDDEN; a role too low
// for the call is FORBIDDEN. Roles, each allowed what the one before is and more:
//   viewer  reads the project, its members and tasks
//   member  creates, edits, assigns and deletes tasks
//   admin   edits the project and its members (owners excepted)
//   owner   grants and takes the owner role, deletes the project
// A project always keeps one owner.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/user_directory.hpp"
#include "avatars/avatar_directory.hpp"
#include "billing/plans.hpp"
#include "core/caller.hpp"
#include "db/database.hpp"
#include "projects/project_store.hpp"
#include "realtime/event_bus.hpp"

namespace karma::projects {

inline constexpr std::array<std::string_view, 4> kProjectStatuses{"active", "paused", "completed",
                                                                  "archived"};
// Lowest first: a role may do what the ones before it may.
inline constexpr std::array<std::string_view, 4> kMemberRoles{"viewer", "member", "admin", "owner"};
inline constexpr std::array<std::string_view, 4> kTaskStatuses{"todo", "in_progress", "review",
                                                               "completed"};
inline constexpr std::array<std::string_view, 4> kTaskPriorities{"p0", "p1", "p2", "p3"};

struct NewProject {
  std::string name, description;
  std::vector<std::string> member_ids;  // added as members
};

struct ProjectChange {
  std::optional<std::string> name, description, status;
  bool progress_given = false;  // progress: absent (keep), null (from tasks again), or 0..100
  std::optional<std::int64_t> progress;
};

struct NewMember {
  std::optional<std::string> user_id, email;  // exactly one
  std::string role = "member";
};

struct NewTask {
  std::string title, description;
  std::string status = "todo";
  std::string priority = "p2";
  std::vector<std::string> tags;
  std::optional<EpochMs> due_at;
  std::optional<std::string> assignee_id;
};

struct TaskChange {
  std::optional<std::string> title, description, status, priority;
  std::optional<std::vector<std::string>> tags;
  bool due_given = false;  // dueAt: absent (keep), null (clear) or a time
  std::optional<EpochMs> due_at;
  bool assignee_given = false;  // assigneeId: absent (keep), null (unassign) or an avatar
  std::optional<std::string> assignee_id;
};

struct MemberView {
  MemberRecord member;
  std::string name;
  std::optional<std::string> avatar;
};

struct TaskView {
  TaskRecord task;
  std::optional<avatars::AvatarSummary> assignee;
};

struct ProjectView {
  ProjectRecord project;
  std::vector<MemberView> members;
  std::vector<TaskView> tasks;
  // The explicit progress, or while none was set the share of completed tasks (0..100).
  std::int64_t progress() const;
};

class ProjectService {
 public:
  ProjectService(db::Database& db, realtime::EventBus& bus, auth::UserDirectory& users,
                 avatars::AvatarDirectory& avatars, billing::PlanDirectory& plans);

  // Each with its members and tasks, in a fixed number of statements whatever their number.
  std::vector<ProjectView> list(const Caller& caller, const std::optional<std::string>& status);
  // Changes whenever what `list` answers does: a rendered list is reused while it matches.
  std::string list_stamp(const Caller& caller, const std::optional<std::string>& status);
  ProjectView create(const Caller& caller, const NewProject& input);
  ProjectView get(const Caller& caller, const std::string& id);
  ProjectView update(const Caller& caller, const std::string& id, const ProjectChange& change);
  void remove(const Caller& caller, const std::string& id);

  ProjectView add_member(const Caller& caller, const std::string& id, const NewMember& input);
  ProjectView change_member(const Caller& caller, const std::string& id, const std::string& user_id,
                            const std::string& role);
  // Admins remove others; anyone may leave.
  void remove_member(const Caller& caller, const std::string& id, const std::string& user_id);

  std::vector<TaskView> tasks(const Caller& caller, const std::string& id);
  TaskView create_task(const Caller& caller, const std::string& id, const NewTask& input);
  TaskView get_task(const Caller& caller, const std::string& id, const std::string& task_id);
  TaskView update_task(const Caller& caller, const std::string& id, const std::string& task_id,
                       const TaskChange& change);
  void delete_task(const Caller& caller, const std::string& id, const std::string& task_id);
  TaskView assign(const Caller& caller, const std::string& id, const std::string& task_id,
                  const std::string& avatar_id, const std::optional<std::string>& priority);

 private:
  // The project and the caller's role in it; NOT_FOUND for a non-member, FORBIDDEN below
  // `minimum`.
  std::pair<ProjectRecord, std::string> require_role(db::Connection& c, const Caller& caller,
                                                     const std::string& id,
                                                     std::string_view minimum, bool lock = false);
  // A task of the project; NOT_FOUND otherwise.
  TaskRecord require_task(db::Connection& c, const std::string& project_id,
                          const std::string& task_id, bool lock);
  std::vector<ProjectView> views(db::Connection& c, std::vector<ProjectRecord> projects);
  ProjectView view(db::Connection& c, ProjectRecord project);
  std::vector<TaskView> task_views(db::Connection& c, std::vector<TaskRecord> tasks);
  TaskView task_view(db::Connection& c, TaskRecord task);
  // Saves a task's change (creating it when `created`) with its avatar's work, in `c`'s
  // transaction; returns what to publish.
  std::vector<avatars::AvatarStatusChange> save_task(db::Connection& c, TaskRecord& task,
                                                     bool created);
  void publish_task(const std::string& project_id, const std::vector<std::string>& member_ids,
                    std::string_view action, const TaskView& task);
  std::vector<std::string> member_ids(db::Connection& c, const std::string& project_id);

  db::Database& db_;
  realtime::EventBus& bus_;
  auth::UserDirectory& users_;
  avatars::AvatarDirectory& avatars_;
  billing::PlanDirectory& plans_;
  ProjectStore store_;
};

}  // namespace karma::projects
