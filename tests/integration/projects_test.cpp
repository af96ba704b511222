// API.md §4 (projects, members, tasks) on SQLite and PostgreSQL, with the avatars' performance
// and earnings that completing tasks moves.
#include <boost/json.hpp>

#include <mutex>
#include <thread>

#include "core/crypto.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

class ProjectsTest : public OwnerTest {
 protected:
  std::string create_project(const bj::object& payload = {{"name", "Launch"}},
                             const Account* as = nullptr) {
    const auto r = call("POST", "/api/projects", body(payload), as);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("data").at("project").at("id").as_string());
  }

  void add_member(const std::string& project, const Account& who, const std::string& role) {
    const auto r = call("POST", "/api/projects/" + project + "/members",
                        body({{"userId", who.id}, {"role", role}}));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::string create_task(const std::string& project, const bj::object& payload = {{"title", "T"}},
                          const Account* as = nullptr) {
    const auto r = call("POST", "/api/projects/" + project + "/tasks", body(payload), as);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("data").at("task").at("id").as_string());
  }

  std::string create_avatar(const Account& who, std::optional<double> price = {},
                            bool is_public = false) {
    bj::object payload{{"name", "Worker"},      {"role", "Engineer"},    {"description", ""},
                       {"skills", bj::array{}}, {"isPublic", is_public}, {"baseModel", "m"},
                       {"systemPrompt", "p"}};
    if (price) payload["price"] = *price;
    const auto r = call("POST", "/api/avatars", body(payload), &who);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.json().at("data").at("avatar").at("id").as_string());
  }

  bj::value project(const std::string& id, const Account* as = nullptr) {
    const auto r = call("GET", "/api/projects/" + id, {}, as);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("data");
  }

  bj::value avatar(const std::string& id, const Account& who) {
    const auto r = call("GET", "/api/avatars/" + id, {}, &who);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("data");
  }

  ClientResponse set_status(const std::string& project, const std::string& task,
                            const std::string& status, const Account* as = nullptr) {
    return call("PUT", "/api/projects/" + project + "/tasks/" + task, body({{"status", status}}),
                as);
  }
};

TEST_P(ProjectsTest, CreateMakesTheCallerOwnerAndReturnsTheContractShape) {
  const Account friend_ = register_account(client());
  const auto r = call("POST", "/api/projects",
                      body({{"name", "Launch"},
                            {"description", "Ship it"},
                            {"members", bj::array{friend_.id.c_str(), friend_.id.c_str()}}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto p = r.json().at("data").at("project");
  EXPECT_EQ(p.at("name"), "Launch");
  EXPECT_EQ(p.at("status"), "active");
  EXPECT_EQ(p.at("progress"), 0);
  EXPECT_TRUE(parse_timestamp(p.at("createdAt").as_string()));
  const auto& members = p.at("members").as_array();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].at("userId"), owner.id.c_str());
  EXPECT_EQ(members[0].at("role"), "owner");
  EXPECT_EQ(members[0].at("name"), "Test User");
  EXPECT_EQ(members[1].at("userId"), friend_.id.c_str());
  EXPECT_EQ(members[1].at("role"), "member");
  // GET returns the Project itself, not {project}.
  EXPECT_EQ(project(std::string(p.at("id").as_string())).at("id"), p.at("id"));

  // An unknown member id makes nothing.
  const auto before =
      call("GET", "/api/projects").json().at("data").at("projects").as_array().size();
  const auto unknown =
      call("POST", "/api/projects",
           body({{"name", "X"}, {"members", bj::array{crypto::uuid_v4().c_str()}}}));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(call("GET", "/api/projects").json().at("data").at("projects").as_array().size(),
            before);
  for (const char* bad : {R"({})", R"({"name":""})", R"({"name":"x","members":["nope"]})",
                          R"({"name":"x","members":"all"})"})
    EXPECT_EQ(call("POST", "/api/projects", bad).status, 400) << bad;
}

// Every route against every role: viewer reads; member edits tasks; admin also edits the
// project and its members; owner also deletes; a non-member sees nothing.
TEST_P(ProjectsTest, EveryRouteEnforcesTheRoleTable) {
  const std::string p = create_project();
  Account viewer = register_account(client());
  Account member = register_account(client());
  Account admin = register_account(client());
  Account outsider = register_account(client());
  add_member(p, viewer, "viewer");
  add_member(p, member, "member");
  add_member(p, admin, "admin");
  const std::string base = "/api/projects/" + p;
  struct Who {
    const char* name;
    const Account* account;
    int rank;  // 0 viewer … 3 owner, -1 outsider
  };
  const std::vector<Who> everyone{{"outsider", &outsider, -1},
                                  {"viewer", &viewer, 0},
                                  {"member", &member, 1},
                                  {"admin", &admin, 2},
                                  {"owner", &owner, 3}};
  const auto expect = [&](const Who& who, int needed, int ok_status, const ClientResponse& r,
                          const std::string& what) {
    const int expected = who.rank < 0 ? 404 : who.rank < needed ? 403 : ok_status;
    EXPECT_EQ(r.status, expected) << who.name << " " << what << ": " << r.body.substr(0, 200);
  };
  for (const Who& who : everyone) {
    const Account& a = *who.account;
    expect(who, 0, 200, call("GET", base, {}, &a), "GET project");
    expect(who, 0, 200, call("GET", base + "/tasks", {}, &a), "GET tasks");
    const std::string task = create_task(p);  // by the owner
    expect(who, 0, 200, call("GET", base + "/tasks/" + task, {}, &a), "GET task");
    expect(who, 1, 201, call("POST", base + "/tasks", R"({"title":"mine"})", &a), "POST task");
    expect(who, 1, 200, call("PUT", base + "/tasks/" + task, R"({"title":"new"})", &a), "PUT task");
    const std::string avatar_id = create_avatar(a);
    expect(who, 1, 200,
           call("POST", base + "/tasks/" + task + "/assign", body({{"avatarId", avatar_id}}), &a),
           "assign");
    expect(who, 1, 200, call("DELETE", base + "/tasks/" + task, {}, &a), "DELETE task");
    expect(who, 2, 200, call("PUT", base, R"({"description":"d"})", &a), "PUT project");
    const Account extra = register_account(client());
    expect(who, 2, 200,
           call("POST", base + "/members", body({{"userId", extra.id}, {"role", "viewer"}}), &a),
           "POST member");
    if (who.rank < 2) add_member(p, extra, "viewer");
    expect(who, 2, 200, call("PUT", base + "/members/" + extra.id, R"({"role":"member"})", &a),
           "PUT member");
    expect(who, 2, 200, call("DELETE", base + "/members/" + extra.id, {}, &a), "DELETE member");
  }
  for (const Who& who : everyone) {
    if (who.rank == 3) continue;
    expect(who, 3, 200, call("DELETE", base, {}, who.account), "DELETE project");
  }
  EXPECT_EQ(call("DELETE", base).status, 200);
  EXPECT_EQ(call("GET", base).status, 404);
  EXPECT_EQ(call("GET", "/api/projects/not-a-uuid").status, 404);
}

TEST_P(ProjectsTest, ALastOwnerCanNeitherLeaveNorBeDemoted) {
  const std::string p = create_project();
  const std::string base = "/api/projects/" + p;
  Account admin = register_account(client());
  add_member(p, admin, "admin");
  const auto leave = call("DELETE", base + "/members/" + owner.id);
  EXPECT_EQ(leave.status, 409);
  EXPECT_EQ(error_code(leave), "CONFLICT");
  EXPECT_EQ(call("PUT", base + "/members/" + owner.id, R"({"role":"admin"})").status, 409);
  // Admins may not touch the owner role.
  EXPECT_EQ(call("PUT", base + "/members/" + owner.id, R"({"role":"member"})", &admin).status, 403);
  EXPECT_EQ(call("PUT", base + "/members/" + admin.id, R"({"role":"owner"})", &admin).status, 403);
  EXPECT_EQ(call("DELETE", base + "/members/" + owner.id, {}, &admin).status, 403);
  // Promote another first, then leave.
  ASSERT_EQ(call("PUT", base + "/members/" + admin.id, R"({"role":"owner"})").status, 200);
  EXPECT_EQ(call("DELETE", base + "/members/" + owner.id).status, 200);
  EXPECT_EQ(call("GET", base).status, 404);
  const auto members = project(p, &admin).at("members").as_array();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].at("role"), "owner");
  EXPECT_EQ(call("DELETE", base + "/members/" + admin.id, {}, &admin).status, 409);
}

TEST_P(ProjectsTest, MembersAreAddedByIdOrEmailOnce) {
  const std::string p = create_project();
  const std::string base = "/api/projects/" + p + "/members";
  const Account by_email = register_account(client());
  std::string shouted = by_email.email;
  for (auto& ch : shouted) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const auto added = call("POST", base, body({{"email", shouted}, {"role", "admin"}}));
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json().at("data").at("project").at("members").at(1).at("role"), "admin");
  EXPECT_EQ(call("POST", base, body({{"userId", by_email.id}})).status, 409);
  EXPECT_EQ(call("POST", base, body({{"email", "nobody-" + by_email.email}})).status, 404);
  EXPECT_EQ(call("POST", base, body({{"userId", crypto::uuid_v4()}})).status, 404);
  const std::vector<std::string> bad_members{
      R"({})", R"({"userId":"x"})", R"({"email":"not-an-email"})",
      R"({"email":"a@b.co","role":"boss"})",
      body({{"userId", by_email.id}, {"email", by_email.email}})};
  for (const std::string& bad : bad_members) EXPECT_EQ(call("POST", base, bad).status, 400) << bad;
  EXPECT_EQ(call("PUT", base + "/" + by_email.id, R"({"role":"guest"})").status, 400);
  EXPECT_EQ(call("PUT", base + "/" + crypto::uuid_v4(), R"({"role":"member"})").status, 404);
  EXPECT_EQ(project(p).at("members").as_array().size(), 2u);
}

TEST_P(ProjectsTest, ProgressIsExplicitOrTheShareOfCompletedTasks) {
  const std::string p = create_project();
  const std::string base = "/api/projects/" + p;
  const std::string a = create_task(p), b = create_task(p), c = create_task(p);
  EXPECT_EQ(project(p).at("progress"), 0);
  ASSERT_EQ(set_status(p, a, "completed").status, 200);
  EXPECT_EQ(project(p).at("progress"), 33);
  ASSERT_EQ(set_status(p, b, "completed").status, 200);
  EXPECT_EQ(project(p).at("progress"), 67);
  ASSERT_EQ(call("PUT", base, R"({"progress":50})").status, 200);
  ASSERT_EQ(set_status(p, c, "completed").status, 200);
  EXPECT_EQ(project(p).at("progress"), 50);  // set explicitly: tasks no longer move it
  for (const char* bad : {R"({"progress":101})", R"({"progress":-1})", R"({"progress":4.5})",
                          R"({"status":"done"})", R"({"name":""})"})
    EXPECT_EQ(call("PUT", base, bad).status, 400) << bad;
  EXPECT_EQ(project(p).at("progress"), 50);
  ASSERT_EQ(call("PUT", base, R"({"progress":null})").status, 200);
  EXPECT_EQ(project(p).at("progress"), 100);
  ASSERT_EQ(call("PUT", base, R"({"status":"paused"})").status, 200);
  const auto paused = call("GET", "/api/projects?status=paused").json();
  ASSERT_EQ(paused.at("data").at("projects").as_array().size(), 1u);
  EXPECT_TRUE(call("GET", "/api/projects?status=active")
                  .json()
                  .at("data")
                  .at("projects")
                  .as_array()
                  .empty());
  EXPECT_EQ(call("GET", "/api/projects?status=gone").status, 400);
}

TEST_P(ProjectsTest, ListingCostsTheSameStatementsForOneProjectAsForMany) {
  const Account friend_ = register_account(client());
  const std::string my_avatar = create_avatar(owner);
  std::string first;
  // Renaming the first project makes each listing render again (nothing is reused).
  const auto statements_of_list = [&] {
    return statements_of(
        [&] { ASSERT_EQ(call("PUT", "/api/projects/" + first, R"({"name":"P"})").status, 200); },
        [&] { return call("GET", "/api/projects"); });
  };
  const auto add_project = [&] {
    const std::string p =
        create_project({{"name", "P"}, {"members", bj::array{friend_.id.c_str()}}});
    for (int t = 0; t < 3; ++t) create_task(p, {{"title", "T"}, {"assigneeId", my_avatar}});
    return p;
  };
  first = add_project();
  const auto one = statements_of_list();
  for (int i = 0; i < 6; ++i) add_project();
  const auto seven = statements_of_list();
  EXPECT_EQ(one, seven);
  // The stamp, projects, members, their users, tasks, their avatars (+ the guard).
  EXPECT_LE(seven, 7u);
  const auto listed = call("GET", "/api/projects").json().at("data").at("projects").as_array();
  ASSERT_EQ(listed.size(), 7u);
  for (const auto& p : listed) {
    EXPECT_EQ(p.at("members").as_array().size(), 2u);
    ASSERT_EQ(p.at("tasks").as_array().size(), 3u);
    EXPECT_EQ(p.at("tasks").at(0).at("assignee").at("name"), "Worker");
  }
}

// A list is rendered once and reused while its stamp holds; every change to anything it shows —
// by any route, of any feature — renders it again.
TEST_P(ProjectsTest, AListIsReusedUntilAnythingItShowsChanges) {
  const Account mate = register_account(client());
  const std::string worker = create_avatar(owner);
  const std::string p =
      create_project({{"name", "Shown"}, {"members", bj::array{mate.id.c_str()}}});
  const std::string task = create_task(p, {{"title", "T"}, {"assigneeId", worker}});
  const auto list_of = [&](const Account& who) { return call("GET", "/api/projects", {}, &who); };
  const auto listed_project = [&](const Account& who) {
    const auto r = list_of(who);
    EXPECT_EQ(r.status, 200) << r.body;
    const bj::value doc = r.json();
    const auto& projects = doc.at("data").at("projects").as_array();
    return projects.empty() ? bj::value() : projects.at(0);
  };
  const auto reused = [&](const Account& who) {
    return statements_of([] {}, [&] { return list_of(who); });
  };
  const auto fresh_list = list_of(owner);
  EXPECT_EQ(reused(owner), 1u) << "the stamp alone: the list is reused";
  EXPECT_EQ(list_of(owner).body, fresh_list.body);
  EXPECT_EQ(fresh_list.header("content-type"), "application/json");

  const auto changed = [&](const char* what, const std::function<void()>& change,
                           const std::function<void(const bj::value&)>& check,
                           const Account* who = nullptr) {
    SCOPED_TRACE(what);
    const Account& reader = who ? *who : owner;
    ASSERT_EQ(reused(reader), 1u);
    change();
    check(listed_project(reader));
    EXPECT_EQ(reused(reader), 1u) << "and reused again";
  };
  const auto put = [&](const std::string& path, const std::string& payload,
                       const Account* as = nullptr) {
    const auto r = call("PUT", path, payload, as);
    ASSERT_EQ(r.status, 200) << r.body;
  };
  changed(
      "a member renames themselves",
      [&] { put("/api/users/me", R"({"name":"Renamed Mate","avatar":"https://x/m.png"})", &mate); },
      [&](const bj::value& shown) {
        EXPECT_EQ(shown.at("members").at(1).at("name"), "Renamed Mate");
        EXPECT_EQ(shown.at("members").at(1).at("avatar"), "https://x/m.png");
      });
  changed(
      "the assigned avatar is renamed", [&] { put("/api/avatars/" + worker, R"({"name":"Ada"})"); },
      [&](const bj::value& shown) {
        EXPECT_EQ(shown.at("tasks").at(0).at("assignee").at("name"), "Ada");
      });
  changed(
      "a task changes", [&] { put("/api/projects/" + p + "/tasks/" + task, R"({"title":"U"})"); },
      [&](const bj::value& shown) { EXPECT_EQ(shown.at("tasks").at(0).at("title"), "U"); });
  changed(
      "a role changes",
      [&] { put("/api/projects/" + p + "/members/" + mate.id, R"({"role":"admin"})"); },
      [&](const bj::value& shown) { EXPECT_EQ(shown.at("members").at(1).at("role"), "admin"); });
  changed(
      "the project changes", [&] { put("/api/projects/" + p, R"({"progress":40})"); },
      [&](const bj::value& shown) { EXPECT_EQ(shown.at("progress"), 40); });
  changed(
      "the avatar is deleted",
      [&] { ASSERT_EQ(call("DELETE", "/api/avatars/" + worker).status, 200); },
      [&](const bj::value& shown) {
        EXPECT_FALSE(shown.at("tasks").at(0).as_object().contains("assignee"));
      });
  changed(
      "a task is added",
      [&] {
        create_task(p, {{"title", "V"}});
      },
      [&](const bj::value& shown) { EXPECT_EQ(shown.at("tasks").as_array().size(), 2u); }, &mate);
  changed(
      "the reader is removed",
      [&] { ASSERT_EQ(call("DELETE", "/api/projects/" + p + "/members/" + mate.id).status, 200); },
      [&](const bj::value& shown) { EXPECT_TRUE(shown.is_null()); }, &mate);
  changed(
      "the project is deleted",
      [&] { ASSERT_EQ(call("DELETE", "/api/projects/" + p).status, 200); },
      [&](const bj::value& shown) { EXPECT_TRUE(shown.is_null()); });
}

TEST_P(ProjectsTest, TasksValidateAndStayInTheirProject) {
  const std::string p = create_project();
  const std::string q = create_project();
  const std::string in_q = create_task(q);
  const std::string base = "/api/projects/" + p + "/tasks";
  // Another project's task through this project's routes is not there.
  EXPECT_EQ(call("GET", base + "/" + in_q).status, 404);
  EXPECT_EQ(call("PUT", base + "/" + in_q, R"({"title":"x"})").status, 404);
  EXPECT_EQ(call("DELETE", base + "/" + in_q).status, 404);
  EXPECT_EQ(call("GET", "/api/projects/" + q + "/tasks/" + in_q).status, 200);

  const auto created = call("POST", base,
                            body({{"title", "Write"},
                                  {"priority", "p0"},
                                  {"tags", bj::array{"a", "b", "a"}},
                                  {"dueAt", "2027-01-02T03:04:05Z"}}));
  ASSERT_EQ(created.status, 201) << created.body;
  const auto t = created.json().at("data").at("task");
  EXPECT_EQ(t.at("status"), "todo");
  EXPECT_EQ(t.at("priority"), "p0");
  EXPECT_EQ(t.at("tags"), (bj::array{"a", "b"}));
  EXPECT_EQ(t.at("dueAt"), "2027-01-02T03:04:05.000Z");
  EXPECT_EQ(t.at("createdBy"), owner.id.c_str());
  EXPECT_FALSE(t.as_object().contains("assignee"));
  const std::string id(t.at("id").as_string());
  for (const char* bad : {R"({"status":"done"})", R"({"priority":"p4"})", R"({"dueAt":"soon"})",
                          R"({"title":""})", R"({"assigneeId":"nope"})", R"({"tags":[1]})"})
    EXPECT_EQ(call("PUT", base + "/" + id, bad).status, 400) << bad;
  EXPECT_EQ(call("POST", base, R"({"description":"no title"})").status, 400);
  ASSERT_EQ(call("PUT", base + "/" + id, R"({"dueAt":null})").status, 200);
  const auto after = call("GET", base + "/" + id).json().at("data");
  EXPECT_FALSE(after.as_object().contains("dueAt"));
  EXPECT_EQ(after.at("priority"), "p0");

  // Avatars: someone else's private one does not exist; their public one needs acquiring.
  const Account stranger = register_account(client());
  const std::string private_avatar = create_avatar(stranger);
  const std::string public_avatar = create_avatar(stranger, std::nullopt, true);
  EXPECT_EQ(call("POST", base + "/" + id + "/assign", body({{"avatarId", private_avatar}})).status,
            404);
  EXPECT_EQ(call("POST", base + "/" + id + "/assign", body({{"avatarId", public_avatar}})).status,
            403);
  EXPECT_EQ(call("POST", base, body({{"title", "x"}, {"assigneeId", private_avatar}})).status, 404);
  EXPECT_FALSE(call("GET", base + "/" + id).json().at("data").as_object().contains("assignee"));
  ASSERT_EQ(call("POST", "/api/store/avatars/" + public_avatar + "/acquire").status, 201);
  const auto assigned = call("POST", base + "/" + id + "/assign",
                             body({{"avatarId", public_avatar}, {"priority", "p1"}}));
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(assigned.json().at("data").at("task").at("assignee").at("id"), public_avatar.c_str());
  EXPECT_EQ(assigned.json().at("data").at("task").at("priority"), "p1");
}

TEST_P(ProjectsTest, CompletingATaskCreditsItsAvatarAndReopeningTakesItBack) {
  const std::string p = create_project();
  const std::string worker = create_avatar(owner, 2.5);
  const std::string t1 = create_task(p, {{"title", "one"}, {"assigneeId", worker}});
  const std::string t2 = create_task(p, {{"title", "two"}});
  ASSERT_EQ(
      call("POST", "/api/projects/" + p + "/tasks/" + t2 + "/assign", body({{"avatarId", worker}}))
          .status,
      200);
  // Assigned two hours ago, as far as the avatar's clock is concerned.
  server().app->database().query("UPDATE avatar_work SET assigned_at = $1 WHERE task_id = $2",
                                 {db::Timestamp{now_ms() - 2 * 3'600'000}, t1});
  auto a = avatar(worker, owner);
  EXPECT_EQ(a.at("performance").at("totalTasks"), 2);
  EXPECT_EQ(a.at("performance").at("completedTasks"), 0);
  EXPECT_EQ(a.at("status"), "idle");

  ASSERT_EQ(set_status(p, t1, "in_progress").status, 200);
  EXPECT_EQ(avatar(worker, owner).at("status"), "working");
  ASSERT_EQ(set_status(p, t1, "completed").status, 200);
  a = avatar(worker, owner);
  EXPECT_EQ(a.at("status"), "idle");
  EXPECT_EQ(a.at("performance").at("completedTasks"), 1);
  EXPECT_NEAR(a.at("performance").at("averageTime").to_number<double>(), 2.0, 0.01);
  EXPECT_EQ(a.at("performance").at("successRate").to_number<double>(), 50);
  const auto& earnings = a.at("earnings");
  for (const char* window : {"today", "thisWeek", "thisMonth", "total"})
    EXPECT_EQ(earnings.at(window).to_number<double>(), 2.5) << window;
  EXPECT_EQ(earnings.at("trend").at(6).to_number<double>(), 2.5);
  EXPECT_EQ(earnings.at("trend").at(5).to_number<double>(), 0);
  // Completing it again changes nothing.
  ASSERT_EQ(set_status(p, t1, "completed").status, 200);
  EXPECT_EQ(avatar(worker, owner).at("earnings").at("total").to_number<double>(), 2.5);

  ASSERT_EQ(set_status(p, t2, "completed").status, 200);
  a = avatar(worker, owner);
  EXPECT_EQ(a.at("earnings").at("total").to_number<double>(), 5);
  EXPECT_EQ(a.at("performance").at("successRate").to_number<double>(), 100);
  EXPECT_NEAR(a.at("performance").at("averageTime").to_number<double>(), 1.0, 0.01);

  // Re-opening takes the contribution back; deleting a task takes it away.
  ASSERT_EQ(set_status(p, t1, "review").status, 200);
  a = avatar(worker, owner);
  EXPECT_EQ(a.at("earnings").at("total").to_number<double>(), 2.5);
  EXPECT_EQ(a.at("performance").at("completedTasks"), 1);
  ASSERT_EQ(call("DELETE", "/api/projects/" + p + "/tasks/" + t2).status, 200);
  a = avatar(worker, owner);
  EXPECT_EQ(a.at("earnings").at("total").to_number<double>(), 0);
  EXPECT_EQ(a.at("performance").at("totalTasks"), 1);
  EXPECT_EQ(a.at("performance").at("completedTasks"), 0);
  // Moving the task to another avatar moves its work.
  const std::string second = create_avatar(owner, 1);
  ASSERT_EQ(call("PUT", "/api/projects/" + p + "/tasks/" + t1,
                 body({{"assigneeId", second}, {"status", "completed"}}))
                .status,
            200);
  EXPECT_EQ(avatar(worker, owner).at("performance").at("totalTasks"), 0);
  EXPECT_EQ(avatar(second, owner).at("earnings").at("total").to_number<double>(), 1);
  ASSERT_EQ(call("PUT", "/api/projects/" + p + "/tasks/" + t1, R"({"assigneeId":null})").status,
            200);
  EXPECT_EQ(avatar(second, owner).at("performance").at("totalTasks"), 0);
}

TEST_P(ProjectsTest, TaskAndAvatarChangesArePublished) {
  const Account member = register_account(client());
  const std::string p = create_project();
  add_member(p, member, "member");
  std::mutex mutex;
  std::vector<realtime::Event> seen;
  const auto record = [&](const realtime::SharedEvent& e) {
    std::lock_guard lock(mutex);
    seen.push_back(*e);
  };
  auto to_member = server().app->events().subscribe(realtime::topics::user(member.id), record);
  auto to_owner = server().app->events().subscribe(realtime::topics::user(owner.id), record);
  const std::string worker = create_avatar(owner);
  const std::string t = create_task(p, {{"title", "T"}, {"assigneeId", worker}});
  ASSERT_EQ(set_status(p, t, "in_progress", &member).status, 200);
  const auto count = [&](const std::string& type, const std::string& user) {
    std::lock_guard lock(mutex);
    return std::count_if(seen.begin(), seen.end(), [&](const realtime::Event& e) {
      return e.type == type && e.user_id == user;
    });
  };
  EXPECT_EQ(count("task_update", member.id), 2);  // created, updated
  EXPECT_EQ(count("task_update", owner.id), 2);
  EXPECT_EQ(count("avatar_status", owner.id), 1);  // idle → working
  {
    std::lock_guard lock(mutex);
    const auto update = std::find_if(seen.begin(), seen.end(), [&](const realtime::Event& e) {
      return e.type == "task_update" && e.payload.at("action") == "updated";
    });
    ASSERT_NE(update, seen.end());
    EXPECT_EQ(update->payload.at("task").at("status"), "in_progress");
    EXPECT_EQ(update->payload.at("projectId"), p.c_str());
  }
  // Deleting the project ends the avatar's work on it.
  ASSERT_EQ(avatar(worker, owner).at("status"), "working");
  ASSERT_EQ(call("DELETE", "/api/projects/" + p).status, 200);
  const auto after = avatar(worker, owner);
  EXPECT_EQ(after.at("status"), "idle");
  EXPECT_EQ(after.at("performance").at("totalTasks"), 0);
  EXPECT_EQ(count("avatar_status", owner.id), 2);  // working → idle
}

INSTANTIATE_TEST_SUITE_P(Backends, ProjectsTest, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace karma::testing
