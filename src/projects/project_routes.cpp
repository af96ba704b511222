#include "projects/project_routes.hpp"

#include "core/json.hpp"
#include "projects/project_json.hpp"

namespace karma::projects {

using http::Request;
using http::Response;

namespace {

constexpr const char* kProject = "Project";
constexpr const char* kTask = "Task";

std::string wrapped_project(const ProjectView& project) {
  return json::keyed_text("project", project, append_project_json);
}

std::string wrapped_task(const TaskView& task) {
  return json::keyed_text("task", task, append_task_json);
}

}  // namespace

void mount_project_routes(http::Router& router, ProjectService& service, StampedCache& rendered) {
  using namespace http::schema;
  add_project_schemas(router.components());
  const auto project_reply = object({{"project", ref("Project")}}, {"project"});
  const auto task_reply = object({{"task", ref("Task")}}, {"task"});
  const auto null_reply = boost::json::object{{"type", "null"}};

  auto projects = router.group("/api/projects");
  projects
      .get("",
           [&service, &rendered](Request& req) {
             const auto status = parse_project_list(req.query);
             const Caller& caller = req.require_caller();
             const std::string key = caller.user_id + '/' + status.value_or("");
             auto body = rendered.find_or_render(
                 key, service.list_stamp(caller, status), caller.user_id, [&] {
                   const auto list = service.list(caller, status);  // after the stamp
                   StampedCache::Rendered page;
                   page.body = json::success_envelope_text(
                       json::list_text("projects", list, append_project_json));
                   return page;
                 });
             return Response::shared(200, std::move(body), "application/json");
           })
      .describe({.operation_id = "listProjects",
                 .summary = "The projects the caller is a member of, with members and tasks",
                 .tag = "Projects",
                 .query = {{"status", one_of(kProjectStatuses)}},
                 .replies = {{200, object({{"projects", array(ref("Project"))}}, {"projects"})}}});
  projects
      .post("",
            [&service](Request& req) {
              return Response::json_text(
                  201, wrapped_project(service.create(req.require_caller(),
                                                      parse_new_project(req.json_body()))));
            })
      .describe({.operation_id = "createProject",
                 .summary = "Create a project; the caller becomes its owner",
                 .tag = "Projects",
                 .body = ref("NewProject"),
                 .replies = {{201, project_reply}},
                 .errors = {403, 404}});

  auto project = router.group("/api/projects/:id");
  project
      .get("",
           [&service](Request& req) {
             return Response::json_text(
                 200,
                 project_json(service.get(req.require_caller(), req.id_param("id", kProject))));
           })
      .describe({.operation_id = "getProject",
                 .summary = "One project with its members and tasks",
                 .tag = "Projects",
                 .replies = {{200, ref("Project")}}});
  project
      .put("",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kProject);
             const ProjectChange change = parse_project_change(req.json_body());
             return Response::json_text(
                 200, project_json(service.update(req.require_caller(), id, change)));
           })
      .describe({.operation_id = "updateProject",
                 .summary = "Rename, describe, set status or progress (admin)",
                 .tag = "Projects",
                 .body = ref("ProjectChange"),
                 .replies = {{200, ref("Project")}},
                 .errors = {403}});
  project
      .del("",
           [&service](Request& req) {
             service.remove(req.require_caller(), req.id_param("id", kProject));
             return Response::ok(nullptr);
           })
      .describe({.operation_id = "deleteProject",
                 .summary = "Delete a project with its tasks (owner)",
                 .tag = "Projects",
                 .replies = {{200, null_reply}},
                 .errors = {403}});

  project
      .post("/members",
            [&service](Request& req) {
              const std::string id = req.id_param("id", kProject);
              const NewMember input = parse_new_member(req.json_body());
              return Response::json_text(
                  200, wrapped_project(service.add_member(req.require_caller(), id, input)));
            })
      .describe({.operation_id = "addProjectMember",
                 .summary = "Add a member by user id or email (admin; owners by an owner)",
                 .tag = "Projects",
                 .body = ref("NewMember"),
                 .replies = {{200, project_reply}},
                 .errors = {403, 409}});
  project
      .put("/members/:userId",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kProject);
             const std::string user_id = req.id_param("userId", "Member");
             const std::string role = parse_member_role(req.json_body());
             return Response::json_text(200, wrapped_project(service.change_member(
                                                 req.require_caller(), id, user_id, role)));
           })
      .describe({.operation_id = "changeProjectMember",
                 .summary = "Change a member's role (admin; the owner role by an owner)",
                 .tag = "Projects",
                 .body = ref("MemberChange"),
                 .replies = {{200, project_reply}},
                 .errors = {403, 409}});
  project
      .del("/members/:userId",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kProject);
             service.remove_member(req.require_caller(), id, req.id_param("userId", "Member"));
             return Response::ok(nullptr);
           })
      .describe({.operation_id = "removeProjectMember",
                 .summary = "Remove a member (admin), or leave the project",
                 .tag = "Projects",
                 .replies = {{200, null_reply}},
                 .errors = {403, 409}});

  project
      .get("/tasks",
           [&service](Request& req) {
             const auto list = service.tasks(req.require_caller(), req.id_param("id", kProject));
             return Response::json_text(200, json::list_text("tasks", list, append_task_json));
           })
      .describe({.operation_id = "listTasks",
                 .summary = "The project's tasks, oldest first",
                 .tag = "Tasks",
                 .replies = {{200, object({{"tasks", array(ref("Task"))}}, {"tasks"})}}});
  project
      .post("/tasks",
            [&service](Request& req) {
              const std::string id = req.id_param("id", kProject);
              const NewTask input = parse_new_task(req.json_body());
              return Response::json_text(
                  201, wrapped_task(service.create_task(req.require_caller(), id, input)));
            })
      .describe({.operation_id = "createTask",
                 .summary = "Create a task (member)",
                 .tag = "Tasks",
                 .body = ref("NewTask"),
                 .replies = {{201, task_reply}},
                 .errors = {403}});
  project
      .get("/tasks/:taskId",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kProject);
             return Response::json_text(200,
                                        task_json(service.get_task(req.require_caller(), id,
                                                                   req.id_param("taskId", kTask))));
           })
      .describe({.operation_id = "getTask",
                 .summary = "One task",
                 .tag = "Tasks",
                 .replies = {{200, ref("Task")}}});
  project
      .put("/tasks/:taskId",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kProject);
             const std::string task_id = req.id_param("taskId", kTask);
             const TaskChange change = parse_task_change(req.json_body());
             return Response::json_text(
                 200, task_json(service.update_task(req.require_caller(), id, task_id, change)));
           })
      .describe({.operation_id = "updateTask",
                 .summary = "Change a task (member); completing it credits its avatar",
                 .tag = "Tasks",
                 .body = ref("TaskChange"),
                 .replies = {{200, ref("Task")}},
                 .errors = {403}});
  project
      .del("/tasks/:taskId",
           [&service](Request& req) {
             const std::string id = req.id_param("id", kProject);
             service.delete_task(req.require_caller(), id, req.id_param("taskId", kTask));
             return Response::ok(nullptr);
           })
      .describe({.operation_id = "deleteTask",
                 .summary = "Delete a task (member)",
                 .tag = "Tasks",
                 .replies = {{200, null_reply}},
                 .errors = {403}});
  project
      .post("/tasks/:taskId/assign",
            [&service](Request& req) {
              const std::string id = req.id_param("id", kProject);
              const std::string task_id = req.id_param("taskId", kTask);
              const auto [avatar_id, priority] = parse_assignment(req.json_body());
              return Response::json_text(
                  200, wrapped_task(
                           service.assign(req.require_caller(), id, task_id, avatar_id, priority)));
            })
      .describe({.operation_id = "assignTask",
                 .summary = "Assign a task to an avatar the caller may use (member)",
                 .tag = "Tasks",
                 .body = ref("TaskAssignment"),
                 .replies = {{200, task_reply}},
                 .errors = {403}});
}

}  // namespace karma::projects
