// API.md §5 (avatars, the store, reviews, acquiring) on SQLite and PostgreSQL.
#include <boost/json.hpp>

#include <functional>
#include <thread>

#include "core/crypto.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

bj::object avatar_body(const std::string& name = "Coder", bool is_public = true) {
  return {{"name", name},
          {"role", "Software engineer"},
          {"description", "Writes and reviews code"},
          {"skills", bj::array{"cpp", "sql"}},
          {"isPublic", is_public},
          {"baseModel", "gpt-4o"},
          {"systemPrompt", "You are a careful engineer."},
          {"tools", bj::array{"searchDatabase", "assignTask"}}};
}

// A word no other test's avatars contain, so store queries see only this test's.
std::string unique_word() {
  return "zq" + crypto::hex(crypto::random_bytes(5));
}

class AvatarsTest : public OwnerTest {
 protected:
  void SetUp() override {
    OwnerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    other = register_account(client());
  }

  bj::object create(const bj::object& payload = avatar_body(), const Account* as = nullptr) {
    const auto r = call("POST", "/api/avatars", body(payload), as);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().at("data").at("avatar").as_object();
  }

  std::size_t avatar_count(const Account& who) {
    return call("GET", "/api/avatars", {}, &who).json().at("data").at("avatars").as_array().size();
  }

  // Puts `who` on a paid plan, as a completed checkout does (billing_test covers that path).
  void give_paid_plan(const Account& who) {
    server().app->database().query(
        "INSERT INTO subscriptions (id, user_id, plan, status, current_period_start, "
        "current_period_end) VALUES ($1, $2, 'pro', 'active', $3, $4)",
        {crypto::uuid_v4(), who.id, db::Timestamp{now_ms()},
         db::Timestamp{now_ms() + 30LL * 86'400'000}});
  }

  std::vector<std::string> store_names(const std::string& query) {
    const auto r = call("GET", "/api/store/avatars" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    const bj::value json = r.json();
    for (const auto& a : json.at("data").at("avatars").as_array())
      names.emplace_back(a.at("name").as_string());
    return names;
  }

  Account other;
};

TEST_P(AvatarsTest, CreateReturnsTheContractShape) {
  auto payload = avatar_body();
  payload["price"] = 2.5;
  payload["abilities"] = {{"coding", 90}, {"writing", 40}};
  const auto a = create(payload);
  EXPECT_TRUE(crypto::is_uuid(a.at("id").as_string()));
  EXPECT_EQ(a.at("createdBy"), owner.id.c_str());
  EXPECT_EQ(a.at("status"), "idle");
  EXPECT_EQ(a.at("price").to_number<double>(), 2.5);
  EXPECT_EQ(a.at("systemPrompt"), "You are a careful engineer.");
  EXPECT_EQ(
      a.at("abilities"),
      (bj::object{
          {"coding", 90}, {"design", 0}, {"writing", 40}, {"analysis", 0}, {"communication", 0}}));
  EXPECT_EQ(a.at("performance"),
            (bj::object{
                {"totalTasks", 0}, {"completedTasks", 0}, {"averageTime", 0}, {"successRate", 0}}));
  EXPECT_EQ(a.at("earnings").at("trend").as_array().size(), 7u);
  EXPECT_FALSE(a.contains("rating"));  // no reviews yet
  EXPECT_EQ(a.at("reviewCount"), 0);
  EXPECT_EQ(a.at("downloadCount"), 0);
  EXPECT_TRUE(parse_timestamp(a.at("createdAt").as_string()));  // ISO strings, not epoch ms
  const auto listed = call("GET", "/api/avatars").json().at("data").at("avatars").as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("id"), a.at("id"));
}

TEST_P(AvatarsTest, BadInputIsRefusedAndStoresNothing) {
  const auto with = [](const char* field, bj::value value) {
    auto payload = avatar_body();
    payload[field] = std::move(value);
    return body(payload);
  };
  bj::array many_skills;
  for (int i = 0; i < 10'000; ++i) many_skills.emplace_back("skill" + std::to_string(i));
  const std::vector<std::pair<std::string, std::string>> cases{
      {"price", with("price", -1)},
      {"price", with("price", "10")},
      {"price", with("price", 1.555)},
      {"price", R"({"name":"x","role":"r","description":"","skills":[],"isPublic":true,)"
                R"("baseModel":"m","systemPrompt":"p","price":1e309})"},
      {"skills", with("skills", std::move(many_skills))},
      {"skills", with("skills", bj::array{std::string(65, 'x')})},
      {"tools", with("tools", bj::array{"rm -rf"})},
      {"baseModel", with("baseModel", "")},
      {"description", with("description", bj::string(std::string(1'000'000, 'd')))},
      {"name", with("name", "")},
      {"isPublic", with("isPublic", "yes")},
  };
  for (const auto& [field, payload] : cases) {
    const auto r = call("POST", "/api/avatars", payload);
    // Bodies over the server's limit (64 KiB in these tests) are refused before they are read.
    if (payload.size() > server().config.body_limit_bytes) {
      EXPECT_EQ(r.status, 413) << field;
      continue;
    }
    EXPECT_EQ(r.status, 400) << field << ": " << r.body.substr(0, 300);
    EXPECT_EQ(error_code(r), "VALIDATION_ERROR");
    EXPECT_NE(r.body.find(field), std::string::npos) << r.body.substr(0, 300);
  }
  EXPECT_EQ(
      call("POST", "/api/avatars", with("description", bj::string(std::string(5001, 'd')))).status,
      400);
  EXPECT_EQ(avatar_count(owner), 0u);
  // A valid avatar, then a bad change: nothing of the change sticks.
  const auto a = create();
  const std::string path = "/api/avatars/" + std::string(a.at("id").as_string());
  EXPECT_EQ(call("PUT", path, R"({"name":"New","price":-3})").status, 400);
  EXPECT_EQ(call("GET", path).json().at("data").at("name"), "Coder");
}

TEST_P(AvatarsTest, TheSystemPromptIsShownToItsAuthorOnly) {
  const auto mine = create(avatar_body("Public one"));
  const auto hidden = create(avatar_body("Private one", false));
  const std::string path = "/api/avatars/" + std::string(mine.at("id").as_string());
  const std::string private_path = "/api/avatars/" + std::string(hidden.at("id").as_string());

  const auto theirs = call("GET", path, {}, &other);
  ASSERT_EQ(theirs.status, 200);
  EXPECT_FALSE(theirs.json().at("data").as_object().contains("systemPrompt"));
  EXPECT_TRUE(call("GET", path).json().at("data").as_object().contains("systemPrompt"));
  const std::string word = unique_word();
  auto searchable = avatar_body("Findable " + word);
  create(searchable);
  const auto found = call("GET", "/api/store/avatars?q=" + word, {}, &other);
  ASSERT_EQ(found.json().at("data").at("total"), 1);
  EXPECT_FALSE(found.json().at("data").at("avatars").at(0).as_object().contains("systemPrompt"));

  // Another user's private avatar does not exist for them; a public one is not theirs to change.
  EXPECT_EQ(call("GET", private_path, {}, &other).status, 404);
  EXPECT_EQ(call("PUT", private_path, R"({"name":"x"})", &other).status, 404);
  EXPECT_EQ(call("DELETE", private_path, {}, &other).status, 404);
  EXPECT_EQ(call("PUT", path, R"({"name":"x"})", &other).status, 403);
  EXPECT_EQ(call("DELETE", path, {}, &other).status, 403);
  EXPECT_EQ(call("GET", path).json().at("data").at("name"), "Public one");
  EXPECT_EQ(call("GET", "/api/avatars/not-a-uuid").status, 404);

  EXPECT_EQ(call("DELETE", path).status, 200);
  EXPECT_EQ(call("GET", path).status, 404);
}

TEST_P(AvatarsTest, StoreSearchRanksNameAboveRoleAboveDescription) {
  const std::string word = unique_word();
  auto in_description = avatar_body("Desc match");
  in_description["description"] = "knows " + word + " well";
  auto in_role = avatar_body("Role match");
  in_role["role"] = word + " specialist";
  auto in_name = avatar_body("Name " + word);
  auto in_private = avatar_body("Private " + word, false);
  create(in_description);
  create(in_role);
  create(in_name);
  const auto hidden = create(in_private);
  EXPECT_EQ(store_names("?q=" + word),
            (std::vector<std::string>{"Name " + word, "Role match", "Desc match"}));
  // Publishing and withdrawing an avatar adds it to the store's search and takes it out.
  const std::string hidden_path = "/api/avatars/" + std::string(hidden.at("id").as_string());
  ASSERT_EQ(call("PUT", hidden_path, R"({"isPublic":true})").status, 200);
  EXPECT_EQ(store_names("?q=" + word).size(), 4u);
  ASSERT_EQ(call("PUT", hidden_path, R"({"isPublic":false,"name":"Renamed"})").status, 200);
  EXPECT_EQ(store_names("?q=" + word).size(), 3u);
  EXPECT_TRUE(store_names("?q=Renamed%20" + word).empty());
  // Words match from their start, case-insensitively; every word must match.
  EXPECT_EQ(store_names("?q=" + word.substr(0, 8)).size(), 3u);  // a prefix
  std::string upper = word;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(store_names("?q=" + upper).size(), 3u);
  EXPECT_EQ(store_names("?q=NAME%20" + word), (std::vector<std::string>{"Name " + word}));
  EXPECT_TRUE(store_names("?q=" + word + "%20nomatchword").empty());
  // Punctuation is not query syntax.
  EXPECT_EQ(store_names("?q=%22" + word + "%22*%20(%20-%20:").size(), 3u);
  EXPECT_EQ(call("GET", "/api/store/avatars?sort=cheapest").status, 400);
  EXPECT_EQ(call("GET", "/api/store/avatars?pageSize=101").status, 400);
}

// A store page is rendered once and reused — for everyone but the authors of its prompts —
// while nothing it shows changes.
TEST_P(AvatarsTest, AStorePageIsReusedUntilAPublicAvatarChanges) {
  const std::string word = unique_word();
  const std::string path = "/api/store/avatars?q=" + word;
  const std::string listed = std::string(create(avatar_body("Alpha " + word)).at("id").as_string());
  const auto page_for = [&](const Account& who) {
    const auto r = call("GET", path, {}, &who);
    EXPECT_EQ(r.status, 200) << r.body;
    const bj::value doc = r.json();
    return doc.at("data").at("avatars").as_array();
  };
  const auto reused = [&](const Account& who) {
    return statements_of([] {}, [&] { return call("GET", path, {}, &who); });
  };
  ASSERT_EQ(page_for(other).size(), 1u);
  EXPECT_EQ(reused(other), 1u) << "the stamp alone: the page is reused";
  // Its author reads the prompt: not the page kept for others, and not kept for them.
  EXPECT_EQ(page_for(owner).at(0).at("systemPrompt"), "You are a careful engineer.");
  EXPECT_GT(reused(owner), 1u);
  EXPECT_FALSE(page_for(other).at(0).as_object().contains("systemPrompt"));
  EXPECT_EQ(reused(other), 1u);

  EXPECT_EQ(statements_of([&] { create(avatar_body("Private " + word, false)); },
                          [&] { return call("GET", path, {}, &other); }),
            1u)
      << "a private avatar is not in the store";

  const auto changed = [&](const char* what, const std::function<void()>& change,
                           const std::function<void(const bj::array&)>& check) {
    SCOPED_TRACE(what);
    change();
    check(page_for(other));
    EXPECT_EQ(reused(other), 1u) << "and reused again";
  };
  changed(
      "it is reviewed",
      [&] {
        ASSERT_EQ(
            call("POST", "/api/store/avatars/" + listed + "/reviews", R"({"rating":4})", &other)
                .status,
            201);
      },
      [](const bj::array& page) { EXPECT_EQ(page.at(0).at("reviewCount"), 1); });
  changed(
      "it is acquired",
      [&] {
        ASSERT_EQ(call("POST", "/api/store/avatars/" + listed + "/acquire", {}, &other).status,
                  201);
      },
      [](const bj::array& page) { EXPECT_EQ(page.at(0).at("downloadCount"), 1); });
  changed(
      "it does a task",
      [&] {
        const auto p = call("POST", "/api/projects", R"({"name":"P"})");
        const bj::value project = p.json();
        const std::string tasks =
            "/api/projects/" + std::string(project.at("data").at("project").at("id").as_string()) +
            "/tasks";
        const auto t = call("POST", tasks, body({{"title", "T"}, {"assigneeId", listed}}));
        ASSERT_EQ(t.status, 201) << t.body;
        const bj::value task = t.json();
        ASSERT_EQ(
            call("PUT", tasks + "/" + std::string(task.at("data").at("task").at("id").as_string()),
                 R"({"status":"completed"})")
                .status,
            200);
      },
      [](const bj::array& page) {
        EXPECT_EQ(page.at(0).at("performance").at("completedTasks"), 1);
      });
  changed(
      "another one joins the store", [&] { create(avatar_body("Beta " + word)); },
      [](const bj::array& page) { EXPECT_EQ(page.size(), 2u); });
  changed(
      "one leaves it",
      [&] {
        ASSERT_EQ(call("PUT", "/api/avatars/" + listed, R"({"isPublic":false})").status, 200);
      },
      [](const bj::array& page) {
        ASSERT_EQ(page.size(), 1u);
        EXPECT_EQ(page.at(0).at("name").as_string().subview().substr(0, 4), "Beta");
      });
}

TEST_P(AvatarsTest, StoreSortsFiltersAndPages) {
  const std::string word = unique_word();
  const auto make = [&](const std::string& name, double price, const char* skill) {
    auto payload = avatar_body(name + " " + word);
    payload["price"] = price;
    payload["skills"] = bj::array{skill};
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // distinct createdAt
    return create(payload);
  };
  const auto a = make("A", 3, "design");
  const auto b = make("B", 1, "coding");
  const auto c = make("C", 2, "coding");
  give_paid_plan(other);
  const auto acquire = [&](const bj::object& avatar, const Account& who) {
    return call("POST",
                "/api/store/avatars/" + std::string(avatar.at("id").as_string()) + "/acquire", {},
                &who);
  };
  ASSERT_EQ(acquire(c, other).status, 201);
  const auto review = [&](const bj::object& avatar, int rating, const Account& who) {
    return call("POST",
                "/api/store/avatars/" + std::string(avatar.at("id").as_string()) + "/reviews",
                body({{"rating", rating}}), &who);
  };
  ASSERT_EQ(review(b, 5, other).status, 201);
  ASSERT_EQ(review(a, 3, other).status, 201);

  const auto q = "?q=" + word;
  const auto named = [&](std::vector<std::string> letters) {
    for (auto& l : letters) l += " " + word;
    return letters;
  };
  EXPECT_EQ(store_names(q + "&sort=price"), named({"B", "C", "A"}));
  EXPECT_EQ(store_names(q + "&sort=rating"), named({"B", "A", "C"}));  // unrated last
  EXPECT_EQ(store_names(q + "&sort=downloads").front(), "C " + word);
  EXPECT_EQ(store_names(q + "&sort=createdAt"), named({"C", "B", "A"}));
  EXPECT_EQ(store_names(q + "&skill=coding&sort=price"), named({"B", "C"}));
  const auto page = call("GET", "/api/store/avatars" + q + "&sort=price&page=2&pageSize=2");
  const auto data = page.json().at("data");
  EXPECT_EQ(data.at("total"), 3);
  EXPECT_EQ(data.at("page"), 2);
  EXPECT_EQ(data.at("pageSize"), 2);
  ASSERT_EQ(data.at("avatars").as_array().size(), 1u);
  EXPECT_EQ(data.at("avatars").at(0).at("name").as_string(), "A " + word);
  const auto beyond = call("GET", "/api/store/avatars" + q + "&page=9").json().at("data");
  EXPECT_EQ(beyond.at("total"), 3);
  EXPECT_TRUE(beyond.at("avatars").as_array().empty());
}

TEST_P(AvatarsTest, ReviewsFollowTheRules) {
  const auto a = create();
  const std::string base = "/api/store/avatars/" + std::string(a.at("id").as_string());
  EXPECT_EQ(call("POST", base + "/reviews", R"({"rating":5})").status, 403);  // one's own
  for (const char* bad :
       {R"({"rating":0})", R"({"rating":6})", R"({"rating":4.5})", R"({"rating":"5"})", R"({})"}) {
    EXPECT_EQ(call("POST", base + "/reviews", bad, &other).status, 400) << bad;
  }
  const std::string long_comment(2001, 'c');
  EXPECT_EQ(
      call("POST", base + "/reviews", body({{"rating", 4}, {"comment", long_comment}}), &other)
          .status,
      400);
  const auto first = call("POST", base + "/reviews", R"({"rating":5,"comment":"great"})", &other);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.json().at("data").at("review").at("userId"), other.id.c_str());
  EXPECT_EQ(call("POST", base + "/reviews", R"({"rating":1})", &other).status, 409);
  const Account third = register_account(client());
  const Account fourth = register_account(client());
  ASSERT_EQ(call("POST", base + "/reviews", R"({"rating":4})", &third).status, 201);
  ASSERT_EQ(call("POST", base + "/reviews", R"({"rating":4})", &fourth).status, 201);
  const auto avatar = call("GET", "/api/avatars/" + std::string(a.at("id").as_string()));
  EXPECT_DOUBLE_EQ(avatar.json().at("data").at("rating").to_number<double>(), 4.33);  // 13 / 3
  EXPECT_EQ(avatar.json().at("data").at("reviewCount"), 3);

  const auto listed = call("GET", base + "/reviews?pageSize=2").json().at("data");
  EXPECT_EQ(listed.at("total"), 3);
  ASSERT_EQ(listed.at("reviews").as_array().size(), 2u);
  EXPECT_EQ(listed.at("reviews").at(0).at("userName"), "Test User");
  // A private avatar takes no reviews and shows none.
  const auto hidden = create(avatar_body("Hidden", false));
  const std::string hidden_base = "/api/store/avatars/" + std::string(hidden.at("id").as_string());
  EXPECT_EQ(call("POST", hidden_base + "/reviews", R"({"rating":5})", &other).status, 404);
  EXPECT_EQ(call("GET", hidden_base + "/reviews", {}, &other).status, 404);
}

TEST_P(AvatarsTest, ParallelReviewsAllCount) {
  const auto a = create();
  const std::string base = "/api/store/avatars/" + std::string(a.at("id").as_string());
  constexpr int kReviewers = 20;
  std::vector<Account> reviewers;
  for (int i = 0; i < kReviewers; ++i) reviewers.push_back(register_account(client()));
  std::vector<int> statuses(kReviewers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReviewers; ++i) {
    threads.emplace_back([&, i] {
      auto c = server().client();
      statuses[i] = c->request("POST", base + "/reviews", body({{"rating", 1 + i % 5}}),
                               bearer(reviewers[i].access_token))
                        .status;
    });
  }
  for (auto& t : threads) t.join();
  for (int s : statuses) EXPECT_EQ(s, 201);
  const auto data =
      call("GET", "/api/avatars/" + std::string(a.at("id").as_string())).json().at("data");
  EXPECT_EQ(data.at("reviewCount"), kReviewers);
  EXPECT_DOUBLE_EQ(data.at("rating").to_number<double>(), 3.0);  // 1..5, four times each
}

TEST_P(AvatarsTest, AcquireCopiesOncePerUser) {
  const auto free_one = create(avatar_body("Free"));
  const std::string id = std::string(free_one.at("id").as_string());
  const std::string base = "/api/store/avatars/" + id;
  const auto copy = call("POST", base + "/acquire", {}, &other);
  ASSERT_EQ(copy.status, 201) << copy.body;
  const auto c = copy.json().at("data").at("avatar");
  EXPECT_NE(c.at("id"), free_one.at("id"));
  EXPECT_EQ(c.at("createdBy"), other.id.c_str());
  EXPECT_EQ(c.at("isPublic"), false);
  EXPECT_EQ(c.at("name"), "Free");
  // The buyer may use the prompt, not read it.
  EXPECT_FALSE(c.as_object().contains("systemPrompt"));
  EXPECT_FALSE(call("GET", "/api/avatars/" + std::string(c.at("id").as_string()), {}, &other)
                   .json()
                   .at("data")
                   .as_object()
                   .contains("systemPrompt"));
  EXPECT_EQ(avatar_count(other), 1u);
  EXPECT_EQ(call("GET", "/api/avatars/" + id).json().at("data").at("downloadCount"), 1);

  EXPECT_EQ(call("POST", base + "/acquire", {}, &other).status, 409);  // once per user
  EXPECT_EQ(call("POST", base + "/acquire").status, 409);              // one's own
  EXPECT_EQ(call("GET", "/api/avatars/" + id).json().at("data").at("downloadCount"), 1);

  auto paid_payload = avatar_body("Paid");
  paid_payload["price"] = 9.99;
  const auto paid = create(paid_payload);
  const std::string paid_base = "/api/store/avatars/" + std::string(paid.at("id").as_string());
  const auto refused = call("POST", paid_base + "/acquire", {}, &other);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(error_code(refused), "FORBIDDEN");
  EXPECT_EQ(avatar_count(other), 1u);
  give_paid_plan(other);
  EXPECT_EQ(call("POST", paid_base + "/acquire", {}, &other).status, 201);

  const auto hidden = create(avatar_body("Hidden", false));
  EXPECT_EQ(
      call("POST", "/api/store/avatars/" + std::string(hidden.at("id").as_string()) + "/acquire",
           {}, &other)
          .status,
      404);
}

TEST_P(AvatarsTest, ParallelAcquiresOfOneAvatarMakeOneCopy) {
  const auto a = create();
  const std::string base = "/api/store/avatars/" + std::string(a.at("id").as_string());
  constexpr int kRacers = 20;
  std::vector<int> statuses(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      auto c = server().client();
      statuses[i] = c->request("POST", base + "/acquire", {}, bearer(other.access_token)).status;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409), kRacers - 1);
  EXPECT_EQ(avatar_count(other), 1u);
  EXPECT_EQ(call("GET", "/api/avatars/" + std::string(a.at("id").as_string()))
                .json()
                .at("data")
                .at("downloadCount"),
            1);
}

INSTANTIATE_TEST_SUITE_P(Backends, AvatarsTest, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace karma::testing
