#pragma once
// SQL of projects, their members and tasks. Every call takes the connection it runs on, so the
// service decides what shares a transaction.
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "db/database.hpp"

namespace karma::projects {

struct ProjectRecord {
  std::string id;
  std::string name;
  std::string description;
  std::string status = "active";
  std::int64_t progress = 0;
  bool progress_manual = false;  // false: progress is the share of completed tasks
  std::string owner_id;          // who created it
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

struct MemberRecord {
  std::string project_id;
  std::string user_id;
  std::string role;
  EpochMs joined_at = 0;
};

struct TaskRecord {
  std::string id;
  std::string project_id;
  std::string title;
  std::string description;
  std::string status = "todo";
  std::string priority = "p2";
  std::optional<std::string> assignee_id;  // an avatar
  std::string created_by;
  std::vector<std::string> tags;
  std::optional<EpochMs> due_at;
  std::optional<EpochMs> started_at;
  std::optional<EpochMs> completed_at;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

class ProjectStore {
 public:
  // The projects `user_id` is a member of, newest first.
  std::vector<ProjectRecord> list_for_member(db::Connection& c, const std::string& user_id,
                                             const std::optional<std::string>& status);
  // Changes whenever what list_for_member's projects show does (their revisions, which
  // migration 006's triggers move; the project's own update moves it here).
  std::string list_stamp(db::Connection& c, const std::string& user_id,
                         const std::optional<std::string>& status);
  // The project with the member's role, when they are one. `lock`: the project row stays locked
  // until the transaction ends, which orders every change to its members (PostgreSQL).
  std::optional<std::pair<ProjectRecord, std::string>> find_for_member(db::Connection& c,
                                                                       const std::string& id,
                                                                       const std::string& user_id,
                                                                       bool lock);
  void insert(db::Connection& c, const ProjectRecord& p);
  std::int64_t count_owned(db::Connection& c, const std::string& owner_id);
  void update(db::Connection& c, const ProjectRecord& p);
  void remove(db::Connection& c, const std::string& id);

  std::vector<MemberRecord> members_of(db::Connection& c, const std::vector<std::string>& ids);
  std::optional<MemberRecord> find_member(db::Connection& c, const std::string& project_id,
                                          const std::string& user_id);
  // False when they are a member already.
  bool insert_member(db::Connection& c, const MemberRecord& m);
  void update_member_role(db::Connection& c, const std::string& project_id,
                          const std::string& user_id, const std::string& role);
  void delete_member(db::Connection& c, const std::string& project_id, const std::string& user_id);
  std::int64_t count_owners(db::Connection& c, const std::string& project_id);

  std::vector<TaskRecord> tasks_of(db::Connection& c, const std::vector<std::string>& ids);
  std::optional<TaskRecord> find_task(db::Connection& c, const std::string& project_id,
                                      const std::string& task_id, bool lock);
  void insert_task(db::Connection& c, const TaskRecord& t);
  void update_task(db::Connection& c, const TaskRecord& t);
  void delete_task(db::Connection& c, const std::string& task_id);
  void touch(db::Connection& c, const std::string& project_id, EpochMs now);
};

}  // namespace karma::projects
