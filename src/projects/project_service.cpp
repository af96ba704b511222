#include "projects/project_service.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <unordered_map>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "projects/project_json.hpp"

namespace karma::projects {

namespace {

constexpr const char* kProject = "Project";

// The ids once each, for one lookup of all of them.
std::vector<std::string> distinct(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

int rank(std::string_view role) {
  const auto it = std::find(kMemberRoles.begin(), kMemberRoles.end(), role);
  return it == kMemberRoles.end() ? -1 : static_cast<int>(it - kMemberRoles.begin());
}

AppError needs_owner() {
  return AppError::conflict("A project keeps at least one owner: make another member owner first",
                            "role");
}

}  // namespace

ProjectService::ProjectService(db::Database& db, realtime::EventBus& bus,
                               auth::UserDirectory& users, avatars::AvatarDirectory& avatars,
                               billing::PlanDirectory& plans)
    : db_(db), bus_(bus), users_(users), avatars_(avatars), plans_(plans) {}

std::pair<ProjectRecord, std::string> ProjectService::require_role(db::Connection& c,
                                                                   const Caller& caller,
                                                                   const std::string& id,
                                                                   std::string_view minimum,
                                                                   bool lock) {
  // An id that is no UUID names nothing (and PostgreSQL's uuid column would refuse it).
  auto found =
      crypto::is_uuid(id) ? store_.find_for_member(c, id, caller.user_id, lock) : std::nullopt;
  if (!found) throw AppError::not_found(kProject);
  if (rank(found->second) < rank(minimum))
    throw AppError(ErrorCode::forbidden,
                   "This needs the " + std::string(minimum) + " role in the project",
                   boost::json::object{{"role", found->second}, {"required", minimum}});
  return std::move(*found);
}

std::vector<TaskView> ProjectService::task_views(db::Connection& c, std::vector<TaskRecord> tasks) {
  std::vector<std::string> avatar_ids;
  for (const auto& t : tasks)
    if (t.assignee_id) avatar_ids.push_back(*t.assignee_id);
  std::unordered_map<std::string, avatars::AvatarSummary> assignees;
  for (auto& a : avatars_.summaries(c, distinct(std::move(avatar_ids))))
    assignees.emplace(a.id, std::move(a));
  std::vector<TaskView> out;
  out.reserve(tasks.size());
  for (auto& t : tasks) {
    TaskView view{std::move(t), std::nullopt};
    if (view.task.assignee_id) {
      const auto found = assignees.find(*view.task.assignee_id);
      if (found != assignees.end()) view.assignee = found->second;
    }
    out.push_back(std::move(view));
  }
  return out;
}

std::vector<ProjectView> ProjectService::views(db::Connection& c,
                                               std::vector<ProjectRecord> projects) {
  std::vector<std::string> ids;
  ids.reserve(projects.size());
  for (const auto& p : projects) ids.push_back(p.id);
  const auto members = store_.members_of(c, ids);
  std::vector<std::string> user_ids;
  for (const auto& m : members) user_ids.push_back(m.user_id);
  std::unordered_map<std::string, auth::UserProfile> people;
  for (auto& p : users_.profiles(c, distinct(std::move(user_ids))))
    people.emplace(p.id, std::move(p));
  auto tasks = task_views(c, store_.tasks_of(c, ids));

  std::unordered_map<std::string, std::size_t> index;
  std::vector<ProjectView> out;
  out.reserve(projects.size());
  for (auto& p : projects) {
    index.emplace(p.id, out.size());
    out.push_back({std::move(p), {}, {}});
  }
  for (const auto& m : members) {
    MemberView view{m, {}, {}};
    if (const auto person = people.find(m.user_id); person != people.end()) {
      view.name = person->second.name;
      view.avatar = person->second.avatar;
    }
    out[index.at(m.project_id)].members.push_back(std::move(view));
  }
  for (auto& t : tasks) out[index.at(t.task.project_id)].tasks.push_back(std::move(t));
  return out;
}

TaskView ProjectService::task_view(db::Connection& c, TaskRecord task) {
  std::vector<TaskRecord> one;
  one.push_back(std::move(task));
  auto found = task_views(c, std::move(one));
  return std::move(found.front());
}

ProjectView ProjectService::view(db::Connection& c, ProjectRecord project) {
  std::vector<ProjectRecord> one;
  one.push_back(std::move(project));
  auto found = views(c, std::move(one));
  return std::move(found.front());
}

std::vector<std::string> ProjectService::member_ids(db::Connection& c,
                                                    const std::string& project_id) {
  std::vector<std::string> ids;
  for (auto& m : store_.members_of(c, {project_id})) ids.push_back(std::move(m.user_id));
  return ids;
}

std::vector<ProjectView> ProjectService::list(const Caller& caller,
                                              const std::optional<std::string>& status) {
  auto c = db_.acquire();
  return views(*c, store_.list_for_member(*c, caller.user_id, status));
}

std::string ProjectService::list_stamp(const Caller& caller,
                                       const std::optional<std::string>& status) {
  auto c = db_.acquire();
  return store_.list_stamp(*c, caller.user_id, status);
}

ProjectView ProjectService::create(const Caller& caller, const NewProject& input) {
  return db_.transaction([&](db::Connection& c) {
    plans_.require_room(c, caller.user_id, billing::Resource::projects,
                        [&] { return store_.count_owned(c, caller.user_id); });
    ProjectRecord p;
    p.id = crypto::uuid_v4();
    p.name = input.name;
    p.description = input.description;
    p.owner_id = caller.user_id;
    p.created_at = p.updated_at = now_ms();
    store_.insert(c, p);
    store_.insert_member(c, {p.id, caller.user_id, "owner", p.created_at});
    std::vector<std::string> others;
    for (const auto& id : input.member_ids)
      if (id != caller.user_id) others.push_back(id);
    if (users_.profiles(c, others).size() != others.size())
      throw AppError(ErrorCode::not_found, "members: a user does not exist",
                     boost::json::object{{"field", "members"}});
    for (const auto& id : others) store_.insert_member(c, {p.id, id, "member", p.created_at});
    return view(c, std::move(p));
  });
}

TaskRecord ProjectService::require_task(db::Connection& c, const std::string& project_id,
                                        const std::string& task_id, bool lock) {
  auto task =
      crypto::is_uuid(task_id) ? store_.find_task(c, project_id, task_id, lock) : std::nullopt;
  if (!task) throw AppError::not_found("Task");
  return std::move(*task);
}

ProjectView ProjectService::get(const Caller& caller, const std::string& id) {
  auto c = db_.acquire();
  return view(*c, require_role(*c, caller, id, "viewer").first);
}

ProjectView ProjectService::update(const Caller& caller, const std::string& id,
                                   const ProjectChange& change) {
  return db_.transaction([&](db::Connection& c) {
    ProjectRecord p = require_role(c, caller, id, "admin", true).first;
    if (change.name) p.name = *change.name;
    if (change.description) p.description = *change.description;
    if (change.status) p.status = *change.status;
    if (change.progress_given) {
      p.progress_manual = change.progress.has_value();
      p.progress = change.progress.value_or(0);
    }
    p.updated_at = now_ms();
    store_.update(c, p);
    return view(c, std::move(p));
  });
}

void ProjectService::remove(const Caller& caller, const std::string& id) {
  std::vector<avatars::AvatarStatusChange> changes;
  db_.transaction([&](db::Connection& c) {
    require_role(c, caller, id, "owner", true);
    // Its tasks go with it: their avatars stop working on them first.
    std::vector<std::string> task_ids;
    for (auto& t : store_.tasks_of(c, {id})) task_ids.push_back(std::move(t.id));
    changes = avatars_.forget_work(c, task_ids, now_ms());
    store_.remove(c, id);
  });
  avatars_.publish(changes);
}

ProjectView ProjectService::add_member(const Caller& caller, const std::string& id,
                                       const NewMember& input) {
  return db_.transaction([&](db::Connection& c) {
    auto [project, role] = require_role(c, caller, id, "admin", true);
    if (input.role == "owner" && role != "owner")
      throw AppError(ErrorCode::forbidden, "Only an owner may make others owners");
    std::string user_id;
    if (input.user_id) {
      if (users_.profiles(c, {*input.user_id}).empty())
        throw AppError(ErrorCode::not_found, "User not found",
                       boost::json::object{{"field", "userId"}});
      user_id = *input.user_id;
    } else {
      auto found = users_.id_of_email(c, *input.email);
      if (!found)
        throw AppError(ErrorCode::not_found, "No user has this email",
                       boost::json::object{{"field", "email"}});
      user_id = std::move(*found);
    }
    const EpochMs now = now_ms();
    if (!store_.insert_member(c, {id, user_id, input.role, now}))
      throw AppError::conflict("This user is a member already", "userId");
    store_.touch(c, id, now);
    project.updated_at = now;
    return view(c, std::move(project));
  });
}

ProjectView ProjectService::change_member(const Caller& caller, const std::string& id,
                                          const std::string& user_id, const std::string& role) {
  return db_.transaction([&](db::Connection& c) {
    auto [project, caller_role] = require_role(c, caller, id, "admin", true);
    const auto member = store_.find_member(c, id, user_id);
    if (!member) throw AppError::not_found("Member");
    if ((member->role == "owner" || role == "owner") && caller_role != "owner")
      throw AppError(ErrorCode::forbidden, "Only an owner may grant or take the owner role");
    if (member->role == "owner" && role != "owner" && store_.count_owners(c, id) == 1)
      throw needs_owner();
    const EpochMs now = now_ms();
    store_.update_member_role(c, id, user_id, role);
    store_.touch(c, id, now);
    project.updated_at = now;
    return view(c, std::move(project));
  });
}

void ProjectService::remove_member(const Caller& caller, const std::string& id,
                                   const std::string& user_id) {
  db_.transaction([&](db::Connection& c) {
    const bool leaving = user_id == caller.user_id;
    auto [project, caller_role] = require_role(c, caller, id, leaving ? "viewer" : "admin", true);
    const auto member = store_.find_member(c, id, user_id);
    if (!member) throw AppError::not_found("Member");
    if (member->role == "owner" && !leaving && caller_role != "owner")
      throw AppError(ErrorCode::forbidden, "Only an owner may remove an owner");
    if (member->role == "owner" && store_.count_owners(c, id) == 1) throw needs_owner();
    store_.delete_member(c, id, user_id);
    store_.touch(c, id, now_ms());
  });
}

std::vector<TaskView> ProjectService::tasks(const Caller& caller, const std::string& id) {
  auto c = db_.acquire();
  require_role(*c, caller, id, "viewer");
  return task_views(*c, store_.tasks_of(*c, {id}));
}

std::vector<avatars::AvatarStatusChange> ProjectService::save_task(db::Connection& c,
                                                                   TaskRecord& task, bool created) {
  if (task.status == "in_progress" && !task.started_at) task.started_at = task.updated_at;
  if (task.status == "completed" && !task.completed_at) task.completed_at = task.updated_at;
  if (task.status != "completed") task.completed_at.reset();
  if (created)
    store_.insert_task(c, task);
  else
    store_.update_task(c, task);
  store_.touch(c, task.project_id, task.updated_at);
  return avatars_.record_work(c, {task.id, task.assignee_id, task.status, task.updated_at});
}

void ProjectService::publish_task(const std::string& project_id,
                                  const std::vector<std::string>& member_ids,
                                  std::string_view action, const TaskView& task) {
  const boost::json::value body = boost::json::parse(task_json(task));
  for (const auto& user_id : member_ids)
    bus_.publish(
        realtime::topics::user(user_id),
        {"task_update", user_id, {{"projectId", project_id}, {"action", action}, {"task", body}}});
}

TaskView ProjectService::create_task(const Caller& caller, const std::string& id,
                                     const NewTask& input) {
  std::vector<avatars::AvatarStatusChange> changes;
  std::vector<std::string> members;
  TaskView created = db_.transaction([&](db::Connection& c) {
    require_role(c, caller, id, "member");
    TaskRecord t;
    t.id = crypto::uuid_v4();
    t.project_id = id;
    t.title = input.title;
    t.description = input.description;
    t.status = input.status;
    t.priority = input.priority;
    t.tags = input.tags;
    t.due_at = input.due_at;
    t.created_by = caller.user_id;
    t.created_at = t.updated_at = now_ms();
    std::optional<avatars::AvatarSummary> assignee;
    if (input.assignee_id) {
      assignee = avatars_.require_usable(c, caller, *input.assignee_id);
      t.assignee_id = assignee->id;
    }
    changes = save_task(c, t, true);
    members = member_ids(c, id);
    return TaskView{std::move(t), std::move(assignee)};
  });
  avatars_.publish(changes);
  publish_task(id, members, "created", created);
  return created;
}

TaskView ProjectService::get_task(const Caller& caller, const std::string& id,
                                  const std::string& task_id) {
  auto c = db_.acquire();
  require_role(*c, caller, id, "viewer");
  return task_view(*c, require_task(*c, id, task_id, false));
}

TaskView ProjectService::update_task(const Caller& caller, const std::string& id,
                                     const std::string& task_id, const TaskChange& change) {
  std::vector<avatars::AvatarStatusChange> changes;
  std::vector<std::string> members;
  TaskView updated = db_.transaction([&](db::Connection& c) {
    require_role(c, caller, id, "member");
    TaskRecord t = require_task(c, id, task_id, true);
    if (change.title) t.title = *change.title;
    if (change.description) t.description = *change.description;
    if (change.status) t.status = *change.status;
    if (change.priority) t.priority = *change.priority;
    if (change.tags) t.tags = *change.tags;
    if (change.due_given) t.due_at = change.due_at;
    if (change.assignee_given) {
      t.assignee_id.reset();
      if (change.assignee_id)
        t.assignee_id = avatars_.require_usable(c, caller, *change.assignee_id).id;
    }
    t.updated_at = now_ms();
    changes = save_task(c, t, false);
    members = member_ids(c, id);
    return task_view(c, std::move(t));
  });
  avatars_.publish(changes);
  publish_task(id, members, "updated", updated);
  return updated;
}

void ProjectService::delete_task(const Caller& caller, const std::string& id,
                                 const std::string& task_id) {
  std::vector<avatars::AvatarStatusChange> changes;
  std::vector<std::string> members;
  TaskView deleted = db_.transaction([&](db::Connection& c) {
    require_role(c, caller, id, "member");
    TaskRecord task = require_task(c, id, task_id, true);
    const EpochMs now = now_ms();
    changes = avatars_.forget_work(c, {task.id}, now);
    store_.delete_task(c, task_id);
    store_.touch(c, id, now);
    members = member_ids(c, id);
    return TaskView{std::move(task), std::nullopt};
  });
  avatars_.publish(changes);
  publish_task(id, members, "deleted", deleted);
}

TaskView ProjectService::assign(const Caller& caller, const std::string& id,
                                const std::string& task_id, const std::string& avatar_id,
                                const std::optional<std::string>& priority) {
  TaskChange change;
  change.assignee_given = true;
  change.assignee_id = avatar_id;
  change.priority = priority;
  return update_task(caller, id, task_id, change);
}

}  // namespace karma::projects
