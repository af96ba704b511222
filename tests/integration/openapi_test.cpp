// /api/openapi.json as the generator writes it from the route table: every route described,
// every reference resolvable. (That the answers match it is checked by the e2e suite's
// contract test over everything this suite receives.)
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <functional>
#include <set>

#include "http/openapi.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;

TEST(HttpCoreOpenApi, EveryRouteHasAnOperationWithItsSchemas) {
  const http::Router& router = shared_server("sqlite").app->router();
  std::set<std::string> ids;
  for (const auto& route : router.routes()) {
    const std::string name = route->method + " " + route->pattern;
    const http::RouteDoc& doc = route->doc;
    EXPECT_FALSE(doc.operation_id.empty()) << name << " has no operation id";
    EXPECT_FALSE(doc.summary.empty()) << name << " has no summary";
    EXPECT_FALSE(doc.tag.empty()) << name << " has no tag";
    EXPECT_FALSE(doc.replies.empty()) << name << " declares no answer";
    EXPECT_TRUE(ids.insert(doc.operation_id).second) << doc.operation_id << " is used twice";
    const bool reads_body =
        route->method == "POST" || route->method == "PUT" || route->method == "PATCH";
    // Every body a route reads is described (logout, batch, heartbeat...): only these take none.
    static const std::set<std::string> bodiless{
        "POST /api/devices/:id/token", "POST /api/store/avatars/:id/acquire",
        "POST /api/subscriptions/cancel", "POST /api/subscriptions/dev-checkout"};
    if (reads_body && !bodiless.contains(name)) {
      EXPECT_TRUE(doc.body) << name << " has no body schema";
    }
  }
}

TEST(HttpCoreOpenApi, TheDocumentListsEveryRouteAndResolvesEveryReference) {
  auto client = shared_server("sqlite").client();
  const auto r = client->request("GET", "/api/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/vnd.oai.openapi+json");
  const bj::value doc = bj::parse(r.body);
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  const auto& paths = doc.at("paths").as_object();
  const auto& schemas = doc.at("components").at("schemas").as_object();
  std::size_t operations = 0;
  for (const auto& [path, item] : paths) operations += item.as_object().size();
  EXPECT_EQ(operations, shared_server("sqlite").app->router().routes().size());
  // Every error answer is the error envelope; every $ref names a component.
  std::size_t refs = 0;
  std::function<void(const bj::value&)> walk = [&](const bj::value& v) {
    if (v.is_object()) {
      for (const auto& [key, child] : v.as_object()) {
        if (key == "$ref") {
          ++refs;
          const std::string target(child.as_string());
          const std::string prefix = "#/components/schemas/";
          ASSERT_TRUE(target.starts_with(prefix)) << target;
          EXPECT_TRUE(schemas.contains(target.substr(prefix.size())))
              << target << " is not defined";
        }
        walk(child);
      }
    } else if (v.is_array()) {
      for (const auto& child : v.as_array()) walk(child);
    }
  };
  walk(doc);
  EXPECT_GT(refs, 50u);
  const auto& login = paths.at("/api/auth/login").at("post").at("responses").as_object();
  for (const char* status : {"200", "400", "401", "413", "429", "503"})
    EXPECT_TRUE(login.contains(status)) << "login declares " << status;
  EXPECT_EQ(login.at("401").at("content").at("application/json").at("schema").at("$ref"),
            "#/components/schemas/Error");
  // An operation of a route that is not there is still a 404 envelope.
  EXPECT_EQ(client->request("GET", "/api/openapi.yaml").status, 404);
}

}  // namespace
}  // namespace karma::testing
