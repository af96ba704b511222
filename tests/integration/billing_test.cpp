// API.md §6 on SQLite and PostgreSQL: plans and their limits (one over the limit, the parallel
// race at it, deleting frees a slot), the subscription lifecycle through the development
// checkout, cancelling and the end of the period. The Stripe client and webhook are driven by
// tests/e2e/billing.test.mjs with the stripe package and a fake Stripe API.
#include <boost/json.hpp>

#include <map>
#include <thread>

#include "billing/subscription_service.hpp"
#include "core/crypto.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

// A server per backend with the plans' real limits (the shared servers lift them).
TestServer& billing_server(const std::string& backend) {
  return shared_server("billing-" + backend, [&] {
    Config config = test_config(backend);
    config.plan_limit_overrides = {};
    return config;
  });
}

std::string device_body(const std::string& tag) {
  return body({{"name", "Box " + tag},
               {"model", "EOS-3B"},
               {"serialNumber", "SN-" + crypto::hex(crypto::random_bytes(6))},
               {"mac", "00:11:22:33:44:55"}});
}

std::string avatar_body(const std::string& name) {
  return body({{"name", name},
               {"role", "Writer"},
               {"description", "Writes"},
               {"isPublic", true},
               {"baseModel", "gpt-4o"},
               {"systemPrompt", "Write."},
               {"skills", bj::array{}},
               {"tools", bj::array{}}});
}

class BillingTest : public OwnerTest {
 protected:
  TestServer& server_for(const std::string& backend) override { return billing_server(backend); }

  ClientResponse create_device(const Account* as = nullptr) {
    return call("POST", "/api/devices", device_body("x"), as);
  }
  ClientResponse create_project(const Account* as = nullptr) {
    return call("POST", "/api/projects", body({{"name", "Project"}}), as);
  }
  ClientResponse create_avatar(const Account* as = nullptr) {
    return call("POST", "/api/avatars", avatar_body("Scribe"), as);
  }

  static void expect_over_limit(const ClientResponse& r, std::int64_t limit) {
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(error_code(r), "FORBIDDEN");
    EXPECT_EQ(r.json().at("error").at("details").at("limit"), limit) << r.body;
  }

  std::int64_t total(const std::string& path, const std::string& key) {
    const auto r = call("GET", path);
    EXPECT_EQ(r.status, 200) << r.body;
    const bj::value json = r.json();
    const auto& data = json.at("data");
    if (const auto* t = data.as_object().if_contains("total")) return t->to_number<std::int64_t>();
    return static_cast<std::int64_t>(data.at(key).as_array().size());
  }

  // Starts a checkout; the page's URL (path and query).
  std::string checkout(const std::string& plan = "pro", const std::string& cycle = "monthly") {
    const auto r =
        call("POST", "/api/subscriptions/create", body({{"plan", plan}, {"billingCycle", cycle}}));
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string url(r.json().at("data").at("checkoutUrl").as_string());
    const auto path = url.find("/api/");
    EXPECT_NE(path, std::string::npos) << url;
    return url.substr(path);
  }

  bj::value subscription() {
    const auto r = call("GET", "/api/subscriptions");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("data").at("subscription");
  }

  void subscribe(const std::string& plan = "pro") {
    const auto confirmed = client().request("POST", checkout(plan), {}, {});
    ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  }
};

TEST_P(BillingTest, PlansListPricesAndLimits) {
  const auto r = call("GET", "/api/subscriptions/plans");
  ASSERT_EQ(r.status, 200) << r.body;
  const bj::value json = r.json();
  const auto& plans = json.at("data").at("plans").as_array();
  ASSERT_EQ(plans.size(), 4u);
  EXPECT_EQ(plans[0].at("id"), "free");
  EXPECT_EQ(plans[0].at("limits").at("devices"), 3);
  EXPECT_EQ(plans[0].at("limits").at("avatars"), 2);
  EXPECT_EQ(plans[0].at("limits").at("projects"), 3);
  EXPECT_EQ(plans[0].at("limits").at("storageBytes"), server().config.storage_quota_free_bytes);
  EXPECT_EQ(plans[1].at("id"), "pro");
  EXPECT_EQ(plans[1].at("limits").at("projects"), 50);
  EXPECT_EQ(plans[1].at("monthlyPrice").to_number<double>(), 19.0);
  EXPECT_EQ(plans[1].at("yearlyPrice").to_number<double>(), 190.0);
  EXPECT_EQ(plans[1].at("currency"), "usd");
  EXPECT_EQ(plans[2].at("limits").at("devices"), 200);
  EXPECT_EQ(plans[3].at("id"), "enterprise");
  for (const char* limit : {"devices", "avatars", "projects", "storageBytes"})
    EXPECT_TRUE(plans[3].at("limits").at(limit).is_null()) << limit;
}

TEST_P(BillingTest, OneOverTheLimitIsForbiddenAndDeletingFreesTheSlot) {
  std::vector<std::string> devices;
  for (int i = 0; i < 3; ++i) {
    const auto r = create_device();
    ASSERT_EQ(r.status, 201) << r.body;
    devices.emplace_back(r.json().at("data").at("device").at("id").as_string());
  }
  expect_over_limit(create_device(), 3);
  EXPECT_EQ(total("/api/devices", "devices"), 3);
  ASSERT_EQ(call("DELETE", "/api/devices/" + devices[0]).status, 200);
  EXPECT_EQ(create_device().status, 201);
  expect_over_limit(create_device(), 3);

  std::vector<std::string> projects;
  for (int i = 0; i < 3; ++i) {
    const auto r = create_project();
    ASSERT_EQ(r.status, 201) << r.body;
    projects.emplace_back(r.json().at("data").at("project").at("id").as_string());
  }
  expect_over_limit(create_project(), 3);
  // Projects one is a member of are not one's own: they do not count.
  const Account other = register_account(client());
  ASSERT_EQ(call("POST", "/api/projects/" + projects[0] + "/members",
                 body({{"userId", owner.id}, {"role", "member"}}))
                .status,
            409);
  EXPECT_EQ(create_project(&other).status, 201);
  ASSERT_EQ(call("DELETE", "/api/projects/" + projects[1]).status, 200);
  EXPECT_EQ(create_project().status, 201);

  // Avatars: created and acquired ones count alike.
  const auto mine = create_avatar();
  ASSERT_EQ(mine.status, 201) << mine.body;
  const auto theirs = create_avatar(&other);
  ASSERT_EQ(theirs.status, 201) << theirs.body;
  const std::string their_id(theirs.json().at("data").at("avatar").at("id").as_string());
  ASSERT_EQ(call("POST", "/api/store/avatars/" + their_id + "/acquire").status, 201);
  expect_over_limit(create_avatar(), 2);
  const auto third = create_avatar(&other);
  ASSERT_EQ(third.status, 201) << third.body;
  expect_over_limit(
      call("POST", "/api/store/avatars/" +
                       std::string(third.json().at("data").at("avatar").at("id").as_string()) +
                       "/acquire"),
      2);
  ASSERT_EQ(
      call("DELETE",
           "/api/avatars/" + std::string(mine.json().at("data").at("avatar").at("id").as_string()))
          .status,
      200);
  EXPECT_EQ(create_avatar().status, 201);
}

TEST_P(BillingTest, ParallelCreatesAtTheLimitNeverOvershoot) {
  constexpr int kRequests = 20;
  const auto race = [&](const std::string& path, const std::function<std::string(int)>& payload) {
    std::vector<int> statuses(kRequests);
    std::vector<std::thread> threads;
    for (int i = 0; i < kRequests; ++i)
      threads.emplace_back([&, i] {
        auto c = server().client();
        statuses[i] = c->request("POST", path, payload(i), bearer(owner.access_token)).status;
      });
    for (auto& t : threads) t.join();
    std::map<int, int> by_status;
    for (int s : statuses) ++by_status[s];
    return by_status;
  };
  const auto devices = race("/api/devices", [](int i) { return device_body(std::to_string(i)); });
  EXPECT_EQ(devices, (std::map<int, int>{{201, 3}, {403, 17}}));
  EXPECT_EQ(total("/api/devices", "devices"), 3);
  const auto projects = race("/api/projects", [](int i) {
    return body({{"name", "P" + std::to_string(i)}});
  });
  EXPECT_EQ(projects, (std::map<int, int>{{201, 3}, {403, 17}}));
  EXPECT_EQ(total("/api/projects", "projects"), 3);
  const auto avatars =
      race("/api/avatars", [](int i) { return avatar_body("A" + std::to_string(i)); });
  EXPECT_EQ(avatars, (std::map<int, int>{{201, 2}, {403, 18}}));
  EXPECT_EQ(total("/api/avatars", "avatars"), 2);
}

TEST_P(BillingTest, TheDevelopmentCheckoutActivatesThePlanOnce) {
  EXPECT_TRUE(subscription().is_null());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(create_device().status, 201);
  expect_over_limit(create_device(), 3);

  const std::string page = checkout("team", "yearly");
  // The page is public (the token is the credential) and says what it is.
  const auto shown = client().request("GET", page, {}, {});
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_TRUE(shown.header("content-type").starts_with("text/html"));
  EXPECT_EQ(shown.header("cache-control"), "no-store");
  EXPECT_NE(shown.body.find("Development checkout"), std::string::npos);
  EXPECT_NE(shown.body.find("no money is taken"), std::string::npos);
  EXPECT_NE(shown.body.find("<form method=\"post\""), std::string::npos);
  EXPECT_TRUE(subscription().is_null()) << "showing the page activates nothing";

  const auto confirmed = client().request("POST", page, {}, {});
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_NE(confirmed.body.find("Team plan is active"), std::string::npos);
  const bj::value s = subscription();
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s.at("userId"), owner.id.c_str());
  EXPECT_EQ(s.at("plan"), "team");
  EXPECT_EQ(s.at("status"), "active");
  EXPECT_EQ(s.at("cancelAtPeriodEnd"), false);
  const auto start = s.at("currentPeriodStart").to_number<std::int64_t>();
  EXPECT_NEAR(static_cast<double>(start), static_cast<double>(now_ms()), 60'000);
  EXPECT_EQ(s.at("currentPeriodEnd").to_number<std::int64_t>(),
            billing::period_end_after(start, "yearly"));
  EXPECT_FALSE(s.as_object().contains("stripeSubscriptionId"));
  EXPECT_EQ(create_device().status, 201) << "the team plan allows a 4th device";

  // One-time: a second confirmation (a replayed form) changes nothing.
  const auto again = client().request("POST", page, {}, {});
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(client().request("GET", page, {}, {}).body.find("completed or has expired"),
            std::string::npos);
  // Subscribed already: a second checkout is refused before anything is stored.
  const auto second = call("POST", "/api/subscriptions/create",
                           body({{"plan", "pro"}, {"billingCycle", "monthly"}}));
  EXPECT_EQ(second.status, 409) << second.body;
}

// Two tabs, two development checkouts: the first confirmed becomes the subscription; the
// second is refused as POST /subscriptions/create would refuse it, and switches nothing.
TEST_P(BillingTest, ASecondCheckoutCannotSwitchAnActivePlan) {
  const std::string team = checkout("team", "monthly");
  const std::string pro = checkout("pro", "yearly");
  ASSERT_EQ(client().request("POST", team, {}, {}).status, 200);
  const bj::value before = subscription();
  const auto second = client().request("POST", pro, {}, {});
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(subscription(), before) << "the plan must not change";
}

TEST_P(BillingTest, ParallelConfirmationsActivateOnce) {
  const std::string page = checkout("team", "monthly");
  constexpr int kRequests = 20;
  std::vector<int> statuses(kRequests);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i)
    threads.emplace_back(
        [&, i] { statuses[i] = server().client()->request("POST", page, {}, {}).status; });
  for (auto& t : threads) t.join();
  std::map<int, int> by_status;
  for (int s : statuses) ++by_status[s];
  EXPECT_EQ(by_status, (std::map<int, int>{{200, 1}, {409, 19}}));
  EXPECT_EQ(subscription().at("plan"), "team");
  const auto rows = server().app->database().query(
      "SELECT COUNT(*) FROM subscriptions WHERE user_id = $1", {owner.id});
  EXPECT_EQ(rows.first().integer(0), 1);
}

TEST_P(BillingTest, ATokenNamesOneCheckoutOfItsOwner) {
  const std::string page = checkout();
  const std::string token = page.substr(page.find("token=") + 6);
  const std::string base = "/api/subscriptions/dev-checkout?token=";
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  const std::string other_checkout = crypto::uuid_v4() + token.substr(token.find('.'));
  for (const std::string& bad : {std::string(), std::string("x"), forged, other_checkout,
                                 std::string("not-a-uuid.") + token.substr(token.find('.') + 1)}) {
    EXPECT_EQ(client().request("GET", base + crypto::percent_encode(bad), {}, {}).status, 404)
        << bad;
    EXPECT_EQ(client().request("POST", base + crypto::percent_encode(bad), {}, {}).status, 404)
        << bad;
  }
  EXPECT_TRUE(subscription().is_null());
  // The owner's checkout activates the owner's plan, whoever's browser posts the form.
  ASSERT_EQ(client().request("POST", page, {}, {}).status, 200);
  EXPECT_EQ(subscription().at("plan"), "pro");
}

TEST_P(BillingTest, CancelKeepsThePlanUntilThePeriodEnds) {
  const auto none = call("POST", "/api/subscriptions/cancel");
  EXPECT_EQ(none.status, 404) << none.body;
  subscribe();
  for (int i = 0; i < 4; ++i) ASSERT_EQ(create_device().status, 201);

  const auto cancelled = call("POST", "/api/subscriptions/cancel");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  const bj::value json = cancelled.json();
  const auto& s = json.at("data").at("subscription");
  EXPECT_EQ(s.at("cancelAtPeriodEnd"), true);
  EXPECT_EQ(s.at("status"), "active");
  EXPECT_EQ(s.at("plan"), "pro");
  EXPECT_EQ(call("POST", "/api/subscriptions/cancel").status, 200) << "cancelling twice is fine";
  EXPECT_EQ(create_device().status, 201) << "the plan holds until the period ends";

  // The job ends nothing early; once the period is over it moves the user back to free.
  EXPECT_EQ(server().app->subscriptions().end_lapsed(), 0);
  server().app->database().query(
      "UPDATE subscriptions SET current_period_end = $1 WHERE user_id = $2",
      {db::Timestamp{now_ms() - 1000}, owner.id});
  EXPECT_EQ(server().app->subscriptions().end_lapsed(), 1);
  EXPECT_TRUE(subscription().is_null());
  expect_over_limit(create_device(), 3);
  EXPECT_EQ(call("POST", "/api/subscriptions/cancel").status, 404);
  // Ended: subscribing again works.
  subscribe("enterprise");
  EXPECT_EQ(subscription().at("plan"), "enterprise");
  EXPECT_EQ(create_device().status, 201);
}

TEST_P(BillingTest, ARenewalThatNeverCameEndsTheSubscriptionAfterTheGrace) {
  subscribe();
  server().app->database().query(
      "UPDATE subscriptions SET current_period_end = $1 WHERE user_id = $2",
      {db::Timestamp{now_ms() - 3'600'000}, owner.id});
  EXPECT_EQ(server().app->subscriptions().end_lapsed(), 0) << "within the grace";
  EXPECT_EQ(subscription().at("status"), "active");
  server().app->database().query(
      "UPDATE subscriptions SET current_period_end = $1 WHERE user_id = $2",
      {db::Timestamp{now_ms() - 4LL * 86'400'000}, owner.id});
  EXPECT_EQ(server().app->subscriptions().end_lapsed(), 1);
  EXPECT_TRUE(subscription().is_null());
}

TEST_P(BillingTest, BadRequestsChangeNothing) {
  const auto bad = [&](const bj::object& payload, const std::string& field) {
    const auto r = call("POST", "/api/subscriptions/create", body(payload));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(error_code(r), "VALIDATION_ERROR");
    EXPECT_NE(r.body.find(field), std::string::npos) << r.body;
  };
  bad({{"plan", "gold"}, {"billingCycle", "monthly"}}, "plan");
  bad({{"plan", "free"}, {"billingCycle", "monthly"}}, "plan");
  bad({{"plan", "pro"}, {"billingCycle", "weekly"}}, "billingCycle");
  bad({{"plan", "pro"}}, "billingCycle");
  bad({{"plan", 3}, {"billingCycle", "monthly"}}, "plan");
  EXPECT_EQ(
      client().request("POST", "/api/subscriptions/create", "{", bearer(owner.access_token)).status,
      400);
  EXPECT_EQ(client()
                .request("POST", "/api/subscriptions/create",
                         body({{"plan", "pro"}, {"billingCycle", "monthly"}}), {})
                .status,
            401);
  EXPECT_EQ(client().request("GET", "/api/subscriptions", {}, {}).status, 401);
  EXPECT_TRUE(subscription().is_null());
  const auto checkouts = server().app->database().query(
      "SELECT COUNT(*) FROM billing_checkouts WHERE user_id = $1", {owner.id});
  EXPECT_EQ(checkouts.first().integer(0), 0);
}

TEST_P(BillingTest, TheWebhookNeedsItsSecret) {
  // This server has no STRIPE_WEBHOOK_SECRET: nothing it is sent is believed.
  const auto r =
      client().request("POST", "/api/webhooks/stripe", R"({"id":"evt_1","type":"invoice.paid"})",
                       {{"stripe-signature", "t=1,v1=00"}});
  EXPECT_EQ(r.status, 503) << r.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, BillingTest, ::testing::ValuesIn(backends()), backend_name);

// Settings that change the server as a whole; SQLite is enough to show them.
std::unique_ptr<TestServer> server_with(const std::function<void(Config&)>& change) {
  Config config = test_config("sqlite");
  config.plan_limit_overrides = {};
  change(config);
  return start_server(config);
}

TEST(BillingSettings, LimitsFollowTheConfigurationOrAreOff) {
  const auto one_device = server_with([](Config& c) { c.plan_limit_overrides[0] = "devices=1"; });
  auto client = one_device->client();
  const Account a = register_account(*client);
  const auto plans = client->request("GET", "/api/subscriptions/plans", {}, bearer(a.access_token));
  EXPECT_EQ(plans.json().at("data").at("plans").at(0).at("limits").at("devices"), 1);
  EXPECT_EQ(
      client->request("POST", "/api/devices", device_body("1"), bearer(a.access_token)).status,
      201);
  const auto over =
      client->request("POST", "/api/devices", device_body("2"), bearer(a.access_token));
  EXPECT_EQ(over.status, 403);
  EXPECT_EQ(over.json().at("error").at("details").at("limit"), 1);

  const auto off = server_with([](Config& c) { c.plan_limits = "off"; });
  auto off_client = off->client();
  const Account b = register_account(*off_client);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(off_client
                  ->request("POST", "/api/devices", device_body(std::to_string(i)),
                            bearer(b.access_token))
                  .status,
              201);
    EXPECT_EQ(
        off_client->request("POST", "/api/projects", body({{"name", "P"}}), bearer(b.access_token))
            .status,
        201);
  }
}

TEST(BillingSettings, ProductionWithoutStripeHasNoCheckout) {
  const auto production = server_with([](Config& c) { c.env = "production"; });
  auto client = production->client();
  const Account a = register_account(*client);
  const auto create =
      client->request("POST", "/api/subscriptions/create",
                      body({{"plan", "pro"}, {"billingCycle", "monthly"}}), bearer(a.access_token));
  EXPECT_EQ(create.status, 503) << create.body;
  EXPECT_EQ(error_code(create), "SERVICE_UNAVAILABLE");
  EXPECT_EQ(client->request("GET", "/api/subscriptions/dev-checkout?token=x", {}, {}).status, 503);
  EXPECT_EQ(client->request("POST", "/api/subscriptions/dev-checkout?token=x", {}, {}).status, 503);
  EXPECT_EQ(client->request("GET", "/api/subscriptions", {}, bearer(a.access_token)).status, 200);
}

}  // namespace
}  // namespace karma::testing
