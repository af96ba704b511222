#include "projects/project_json.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/validation.hpp"

namespace karma::projects {

namespace bj = boost::json;

namespace {

const StringRule kNameRule{1, 200};
const StringRule kDescriptionRule{0, 5000};
const StringRule kTitleRule{1, 200};
const StringRule kTaskDescriptionRule{0, 10000};
const StringRule kTagRule{1, 32};
const StringRule kIdRule{1, 36, true, [](std::string_view s) {
                           return crypto::is_uuid(s) ? std::string()
                                                     : std::string("must be a UUID");
                         }};
const StringRule kEmailRule{3, 254, true, [](std::string_view s) {
                              return looks_like_email(s) ? std::string()
                                                         : std::string("must be an email address");
                            }};
const StringRule kTimeRule{1, 64, true, [](std::string_view s) {
                             return parse_timestamp(s) ? std::string()
                                                       : std::string("must be an ISO-8601 time");
                           }};
constexpr std::size_t kMaxTags = 20;
constexpr std::size_t kMaxInitialMembers = 100;

std::optional<EpochMs> read_time(JsonFields& fields, std::string_view name) {
  const auto text = fields.string(name, kTimeRule, false);
  return text ? parse_timestamp(*text) : std::nullopt;
}

}  // namespace

std::int64_t ProjectView::progress() const {
  if (project.progress_manual) return project.progress;
  if (tasks.empty()) return 0;
  const auto done = std::count_if(tasks.begin(), tasks.end(),
                                  [](const TaskView& t) { return t.task.status == "completed"; });
  return (200 * done + static_cast<std::int64_t>(tasks.size())) /
         (2 * static_cast<std::int64_t>(tasks.size()));  // rounded half up
}

void append_task_json(std::string& out, const TaskView& view) {
  const TaskRecord& t = view.task;
  const auto text = [&out](std::string_view key, std::string_view value) {
    out += key;
    json::append_quoted(out, value);
  };
  text("{\"id\":", t.id);
  text(",\"projectId\":", t.project_id);
  text(",\"title\":", t.title);
  text(",\"description\":", t.description);
  text(",\"status\":", t.status);
  text(",\"priority\":", t.priority);
  if (view.assignee) {
    text(",\"assignee\":{\"id\":", view.assignee->id);
    text(",\"name\":", view.assignee->name);
    out += ",\"avatar\":";
    json::append_quoted_or_null(out, view.assignee->avatar);
    out += '}';
  }
  text(",\"createdBy\":", t.created_by);
  out += ",\"tags\":";
  json::append_string_array(out, t.tags);
  text(",\"createdAt\":", iso8601(t.created_at));
  text(",\"updatedAt\":", iso8601(t.updated_at));
  if (t.due_at) text(",\"dueAt\":", iso8601(*t.due_at));
  out += '}';
}

std::string task_json(const TaskView& task) {
  std::string out;
  out.reserve(512);
  append_task_json(out, task);
  return out;
}

void append_project_json(std::string& out, const ProjectView& view) {
  const ProjectRecord& p = view.project;
  const auto text = [&out](std::string_view key, std::string_view value) {
    out += key;
    json::append_quoted(out, value);
  };
  text("{\"id\":", p.id);
  text(",\"name\":", p.name);
  text(",\"description\":", p.description);
  out += ",\"progress\":" + std::to_string(view.progress());
  text(",\"status\":", p.status);
  out += ",\"members\":[";
  for (std::size_t i = 0; i < view.members.size(); ++i) {
    const MemberView& m = view.members[i];
    if (i > 0) out += ',';
    text("{\"userId\":", m.member.user_id);
    text(",\"name\":", m.name);
    out += ",\"avatar\":";
    json::append_quoted_or_null(out, m.avatar);
    text(",\"role\":", m.member.role);
    out += '}';
  }
  out += "],\"tasks\":[";
  for (std::size_t i = 0; i < view.tasks.size(); ++i) {
    if (i > 0) out += ',';
    append_task_json(out, view.tasks[i]);
  }
  out += ']';
  text(",\"createdAt\":", iso8601(p.created_at));
  text(",\"updatedAt\":", iso8601(p.updated_at));
  out += '}';
}

std::string project_json(const ProjectView& project) {
  std::string out;
  out.reserve(512 + project.tasks.size() * 400);
  append_project_json(out, project);
  return out;
}

NewProject parse_new_project(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  NewProject p;
  auto name = fields.string("name", kNameRule, true);
  p.description = fields.string("description", kDescriptionRule, false).value_or("");
  p.member_ids = fields.string_array("members", kMaxInitialMembers, kIdRule, false)
                     .value_or(std::vector<std::string>{});
  violations.throw_if_any();
  p.name = *name;
  for (auto& id : p.member_ids) id = ascii_lower(id);
  return p;
}

ProjectChange parse_project_change(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  ProjectChange c;
  c.name = fields.string("name", kNameRule, false);
  c.description = fields.string("description", kDescriptionRule, false);
  c.status = fields.one_of("status", kProjectStatuses, false);
  if (body.contains("progress")) {
    c.progress_given = true;
    c.progress = fields.integer("progress", 0, 100, false);
  }
  violations.throw_if_any();
  return c;
}

NewMember parse_new_member(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  NewMember m;
  m.user_id = fields.string("userId", kIdRule, false);
  m.email = fields.string("email", kEmailRule, false);
  m.role = fields.one_of("role", kMemberRoles, false).value_or("member");
  if (!m.user_id && !m.email && violations.empty()) fields.reject("userId", "give userId or email");
  if (m.user_id && m.email) fields.reject("email", "give userId or email, not both");
  violations.throw_if_any();
  if (m.user_id) m.user_id = ascii_lower(*m.user_id);
  return m;
}

std::string parse_member_role(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  auto role = fields.one_of("role", kMemberRoles, true);
  violations.throw_if_any();
  return *role;
}

NewTask parse_new_task(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  NewTask t;
  auto title = fields.string("title", kTitleRule, true);
  t.description = fields.string("description", kTaskDescriptionRule, false).value_or("");
  t.status = fields.one_of("status", kTaskStatuses, false).value_or("todo");
  t.priority = fields.one_of("priority", kTaskPriorities, false).value_or("p2");
  t.tags =
      fields.string_array("tags", kMaxTags, kTagRule, false).value_or(std::vector<std::string>{});
  t.due_at = read_time(fields, "dueAt");
  t.assignee_id = fields.string("assigneeId", kIdRule, false);
  violations.throw_if_any();
  t.title = *title;
  if (t.assignee_id) t.assignee_id = ascii_lower(*t.assignee_id);
  return t;
}

TaskChange parse_task_change(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  TaskChange c;
  c.title = fields.string("title", kTitleRule, false);
  c.description = fields.string("description", kTaskDescriptionRule, false);
  c.status = fields.one_of("status", kTaskStatuses, false);
  c.priority = fields.one_of("priority", kTaskPriorities, false);
  c.tags = fields.string_array("tags", kMaxTags, kTagRule, false);
  if (body.contains("dueAt")) {
    c.due_given = true;
    c.due_at = read_time(fields, "dueAt");
  }
  if (body.contains("assigneeId")) {
    c.assignee_given = true;
    c.assignee_id = fields.string("assigneeId", kIdRule, false);
    if (c.assignee_id) c.assignee_id = ascii_lower(*c.assignee_id);
  }
  violations.throw_if_any();
  return c;
}

std::pair<std::string, std::optional<std::string>> parse_assignment(const bj::object& body) {
  Violations violations;
  JsonFields fields(body, violations);
  auto avatar = fields.string("avatarId", kIdRule, true);
  auto priority = fields.one_of("priority", kTaskPriorities, false);
  violations.throw_if_any();
  return {ascii_lower(*avatar), priority};
}

std::optional<std::string> parse_project_list(
    const std::vector<std::pair<std::string, std::string>>& params) {
  Violations violations;
  QueryFields query(params, violations);
  auto status = query.optional_one_of("status", kProjectStatuses);
  violations.throw_if_any();
  return status;
}

void add_project_schemas(http::Components& components) {
  using namespace http::schema;
  components.add(
      "Task",
      object(
          {{"id", uuid()},
           {"projectId", uuid()},
           {"title", string(200)},
           {"description", string(10000)},
           {"status", one_of(kTaskStatuses)},
           {"priority", one_of(kTaskPriorities)},
           {"assignee",
            described(object({{"id", uuid()}, {"name", string()}, {"avatar", nullable(string())}},
                             {"id", "name", "avatar"}),
                      "the avatar the task is assigned to")},
           {"createdBy", uuid()},
           {"tags", array(string(32))},
           {"createdAt", date_time()},
           {"updatedAt", date_time()},
           {"dueAt", date_time()}},
          {"id", "projectId", "title", "description", "status", "priority", "createdBy", "tags",
           "createdAt", "updatedAt"}));
  components.add(
      "Project",
      object({{"id", uuid()},
              {"name", string(200)},
              {"description", string(5000)},
              {"progress", described(integer(0, 100),
                                     "as set, or while never set the share of completed tasks")},
              {"status", one_of(kProjectStatuses)},
              {"members", array(object({{"userId", uuid()},
                                        {"name", string()},
                                        {"avatar", nullable(string())},
                                        {"role", one_of(kMemberRoles)}},
                                       {"userId", "name", "avatar", "role"}))},
              {"tasks", array(ref("Task"))},
              {"createdAt", date_time()},
              {"updatedAt", date_time()}},
             {"id", "name", "description", "progress", "status", "members", "tasks", "createdAt",
              "updatedAt"}));
  components.add(
      "NewProject",
      input({{"name", string(200, 1)},
             {"description", string(5000)},
             {"members", described(array(uuid()), "user ids, added with the member role")}},
            {"name"}));
  components.add("ProjectChange",
                 input({{"name", string(200, 1)},
                        {"description", string(5000)},
                        {"status", one_of(kProjectStatuses)},
                        {"progress", described(nullable(integer(0, 100)),
                                               "null: the share of completed tasks again")}}));
  components.add("NewMember", input({{"userId", uuid()},
                                     {"email", string(254)},
                                     {"role", described(one_of(kMemberRoles), "default member")}}));
  components.add("MemberChange", input({{"role", one_of(kMemberRoles)}}, {"role"}));
  components.add("NewTask", input({{"title", string(200, 1)},
                                   {"description", string(10000)},
                                   {"status", one_of(kTaskStatuses)},
                                   {"priority", one_of(kTaskPriorities)},
                                   {"tags", array(string(32, 1))},
                                   {"dueAt", date_time()},
                                   {"assigneeId", uuid()}},
                                  {"title"}));
  components.add("TaskChange", input({{"title", string(200, 1)},
                                      {"description", string(10000)},
                                      {"status", one_of(kTaskStatuses)},
                                      {"priority", one_of(kTaskPriorities)},
                                      {"tags", array(string(32, 1))},
                                      {"dueAt", nullable(date_time())},
                                      {"assigneeId", nullable(uuid())}}));
  components.add(
      "TaskAssignment",
      input({{"avatarId", uuid()}, {"priority", one_of(kTaskPriorities)}}, {"avatarId"}));
}

}  // namespace karma::projects
