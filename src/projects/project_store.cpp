#include "projects/project_store.hpp"

#include "db/sql.hpp"

namespace karma::projects {

using db::Timestamp;
using db::Value;

namespace {

constexpr const char* kProjectColumns =
    "p.id, p.name, p.description, p.status, p.progress, p.progress_manual, p.owner_id, "
    "p.created_at, p.updated_at";

ProjectRecord project_from(const db::Row& r) {
  return {r.text(0),    r.text(1), r.text(2), r.text(3), r.integer(4),
          r.boolean(5), r.text(6), r.time(7), r.time(8)};
}

std::string task_columns(db::Dialect d) {
  return "id, project_id, title, description, status, priority, assignee_avatar_id, created_by, " +
         db::text_array_select(d, "tags") +
         ", due_at, started_at, completed_at, created_at, updated_at";
}

TaskRecord task_from(db::Row& r) {
  TaskRecord t;
  t.id = r.take_text(0);
  t.project_id = r.take_text(1);
  t.title = r.take_text(2);
  t.description = r.take_text(3);
  t.status = r.take_text(4);
  t.priority = r.take_text(5);
  t.assignee_id = r.take_opt_text(6);
  t.created_by = r.take_text(7);
  t.tags = db::decode_text_array(r.text(8));
  t.due_at = r.opt_time(9);
  t.started_at = r.opt_time(10);
  t.completed_at = r.opt_time(11);
  t.created_at = r.time(12);
  t.updated_at = r.time(13);
  return t;
}

Value optional_time(const std::optional<EpochMs>& ms) {
  return ms ? Value(Timestamp{*ms}) : Value(nullptr);
}

Value optional_text(const std::optional<std::string>& text) {
  return text ? Value(*text) : Value(nullptr);
}

}  // namespace

namespace {

// The projects `user_id` is a member of (with `status`), newest first.
db::Result member_projects(db::Connection& c, std::string_view columns, const std::string& user_id,
                           const std::optional<std::string>& status) {
  std::string sql = "SELECT ";
  sql += columns;
  sql += " FROM projects p JOIN project_members m ON m.project_id = p.id WHERE m.user_id = $1";
  db::Params params{user_id};
  if (status) {
    params.emplace_back(*status);
    sql += " AND p.status = $2";
  }
  sql += " ORDER BY p.created_at DESC, p.id DESC";
  return c.query(sql, params);
}

}  // namespace

std::vector<ProjectRecord> ProjectStore::list_for_member(db::Connection& c,
                                                         const std::string& user_id,
                                                         const std::optional<std::string>& status) {
  const auto result = member_projects(c, kProjectColumns, user_id, status);
  std::vector<ProjectRecord> out;
  out.reserve(result.rows.size());
  for (const auto& row : result.rows) out.push_back(project_from(row));
  return out;
}

std::string ProjectStore::list_stamp(db::Connection& c, const std::string& user_id,
                                     const std::optional<std::string>& status) {
  std::string stamp;
  for (const auto& row : member_projects(c, "p.id, p.revision", user_id, status).rows) {
    stamp += row.text(0);
    stamp += ':';
    stamp += std::to_string(row.integer(1));
    stamp += ',';
  }
  return stamp;
}

std::optional<std::pair<ProjectRecord, std::string>> ProjectStore::find_for_member(
    db::Connection& c, const std::string& id, const std::string& user_id, bool lock) {
  std::string sql = std::string("SELECT ") + kProjectColumns +
                    ", m.role FROM projects p JOIN project_members m ON m.project_id = p.id "
                    "WHERE p.id = $1 AND m.user_id = $2";
  // PostgreSQL locks only the project's row: FOR UPDATE OF p.
  if (lock && c.dialect() == db::Dialect::postgres) sql += " FOR UPDATE OF p";
  const auto r = c.query(sql, {id, user_id});
  if (r.empty()) return std::nullopt;
  return std::pair{project_from(r.first()), r.first().text(9)};
}

std::int64_t ProjectStore::count_owned(db::Connection& c, const std::string& owner_id) {
  return c.query("SELECT COUNT(*) FROM projects WHERE owner_id = $1", {owner_id})
      .first()
      .integer(0);
}

void ProjectStore::insert(db::Connection& c, const ProjectRecord& p) {
  c.query(
      "INSERT INTO projects (id, name, description, status, progress, progress_manual, owner_id, "
      "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {p.id, p.name, p.description, p.status, p.progress, p.progress_manual, p.owner_id,
       Timestamp{p.created_at}, Timestamp{p.updated_at}});
}

void ProjectStore::update(db::Connection& c, const ProjectRecord& p) {
  c.query(
      "UPDATE projects SET name = $2, description = $3, status = $4, progress = $5, "
      "progress_manual = $6, updated_at = $7, revision = revision + 1 WHERE id = $1",
      {p.id, p.name, p.description, p.status, p.progress, p.progress_manual,
       Timestamp{p.updated_at}});
}

void ProjectStore::remove(db::Connection& c, const std::string& id) {
  c.query("DELETE FROM projects WHERE id = $1", {id});
}

std::vector<MemberRecord> ProjectStore::members_of(db::Connection& c,
                                                   const std::vector<std::string>& ids) {
  std::vector<MemberRecord> out;
  if (ids.empty()) return out;
  const auto result = c.query(
      "SELECT project_id, user_id, role, joined_at FROM project_members WHERE " +
          db::id_in(c.dialect(), "project_id", 1) +
          // Who joined first; of those who joined together (at creation), higher roles first.
          " ORDER BY joined_at, CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' "
          "THEN 2 ELSE 3 END, user_id",
      {db::id_list(c.dialect(), ids)});
  out.reserve(result.rows.size());
  for (const auto& r : result.rows) out.push_back({r.text(0), r.text(1), r.text(2), r.time(3)});
  return out;
}

std::optional<MemberRecord> ProjectStore::find_member(db::Connection& c,
                                                      const std::string& project_id,
                                                      const std::string& user_id) {
  const auto r = c.query(
      "SELECT project_id, user_id, role, joined_at FROM project_members "
      "WHERE project_id = $1 AND user_id = $2",
      {project_id, user_id});
  if (r.empty()) return std::nullopt;
  return MemberRecord{r.first().text(0), r.first().text(1), r.first().text(2), r.first().time(3)};
}

bool ProjectStore::insert_member(db::Connection& c, const MemberRecord& m) {
  return c.query(
              "INSERT INTO project_members (project_id, user_id, role, joined_at) "
              "VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, user_id) DO NOTHING",
              {m.project_id, m.user_id, m.role, Timestamp{m.joined_at}})
             .affected == 1;
}

void ProjectStore::update_member_role(db::Connection& c, const std::string& project_id,
                                      const std::string& user_id, const std::string& role) {
  c.query("UPDATE project_members SET role = $3 WHERE project_id = $1 AND user_id = $2",
          {project_id, user_id, role});
}

void ProjectStore::delete_member(db::Connection& c, const std::string& project_id,
                                 const std::string& user_id) {
  c.query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2",
          {project_id, user_id});
}

std::int64_t ProjectStore::count_owners(db::Connection& c, const std::string& project_id) {
  return c
      .query("SELECT COUNT(*) FROM project_members WHERE project_id = $1 AND role = 'owner'",
             {project_id})
      .first()
      .integer(0);
}

std::vector<TaskRecord> ProjectStore::tasks_of(db::Connection& c,
                                               const std::vector<std::string>& ids) {
  std::vector<TaskRecord> out;
  if (ids.empty()) return out;
  auto result = c.query("SELECT " + task_columns(c.dialect()) + " FROM tasks WHERE " +
                            db::id_in(c.dialect(), "project_id", 1) + " ORDER BY created_at, id",
                        {db::id_list(c.dialect(), ids)});
  out.reserve(result.rows.size());
  for (auto& row : result.rows) out.push_back(task_from(row));
  return out;
}

std::optional<TaskRecord> ProjectStore::find_task(db::Connection& c, const std::string& project_id,
                                                  const std::string& task_id, bool lock) {
  std::string sql =
      "SELECT " + task_columns(c.dialect()) + " FROM tasks WHERE id = $1 AND project_id = $2";
  if (lock) sql += db::row_lock(c.dialect());
  auto r = c.query(sql, {task_id, project_id});
  if (r.empty()) return std::nullopt;
  return task_from(r.rows.front());
}

void ProjectStore::insert_task(db::Connection& c, const TaskRecord& t) {
  c.query(
      "INSERT INTO tasks (id, project_id, title, description, status, priority, "
      "assignee_avatar_id, created_by, tags, due_at, started_at, completed_at, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, " +
          db::text_array_param(c.dialect(), 9) + ", $10, $11, $12, $13, $14)",
      {t.id, t.project_id, t.title, t.description, t.status, t.priority,
       optional_text(t.assignee_id), t.created_by, db::encode_text_array(t.tags),
       optional_time(t.due_at), optional_time(t.started_at), optional_time(t.completed_at),
       Timestamp{t.created_at}, Timestamp{t.updated_at}});
}

void ProjectStore::update_task(db::Connection& c, const TaskRecord& t) {
  c.query(
      "UPDATE tasks SET title = $2, description = $3, status = $4, priority = $5, "
      "assignee_avatar_id = $6, tags = " +
          db::text_array_param(c.dialect(), 7) +
          ", due_at = $8, started_at = $9, completed_at = $10, updated_at = $11 WHERE id = $1",
      {t.id, t.title, t.description, t.status, t.priority, optional_text(t.assignee_id),
       db::encode_text_array(t.tags), optional_time(t.due_at), optional_time(t.started_at),
       optional_time(t.completed_at), Timestamp{t.updated_at}});
}

void ProjectStore::delete_task(db::Connection& c, const std::string& task_id) {
  c.query("DELETE FROM tasks WHERE id = $1", {task_id});
}

void ProjectStore::touch(db::Connection& c, const std::string& project_id, EpochMs now) {
  c.query("UPDATE projects SET updated_at = $2 WHERE id = $1", {project_id, Timestamp{now}});
}

}  // namespace karma::projects
