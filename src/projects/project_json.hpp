#pragma once
// Projects, members and tasks as JSON: the contract's shapes (API.md §4; times as ISO-8601
// strings), the readers of request bodies, and their OpenAPI schemas.
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "http/openapi.hpp"
#include "projects/project_service.hpp"

namespace karma::projects {

void append_project_json(std::string& out, const ProjectView& project);
std::string project_json(const ProjectView& project);
void append_task_json(std::string& out, const TaskView& task);
std::string task_json(const TaskView& task);

NewProject parse_new_project(const boost::json::object& body);
ProjectChange parse_project_change(const boost::json::object& body);
NewMember parse_new_member(const boost::json::object& body);
std::string parse_member_role(const boost::json::object& body);
NewTask parse_new_task(const boost::json::object& body);
TaskChange parse_task_change(const boost::json::object& body);
// {avatarId, priority?}
std::pair<std::string, std::optional<std::string>> parse_assignment(
    const boost::json::object& body);
std::optional<std::string> parse_project_list(
    const std::vector<std::pair<std::string, std::string>>& query);

void add_project_schemas(http::Components& components);

}  // namespace karma::projects
