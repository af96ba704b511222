#include <boost/json.hpp>

#include "db/migrations.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

class OpsTest : public BackendTest {};

TEST_P(OpsTest, HealthzAnswersWithoutAuth) {
  const auto r = client().request("GET", "/healthz");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("data").at("status"), "ok");
}

TEST_P(OpsTest, ReadyzChecksDatabaseAndMigrations) {
  const auto r = client().request("GET", "/readyz");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("data").at("database"), "ok");
  EXPECT_EQ(r.json().at("data").at("migrations"), "current");
}

TEST_P(OpsTest, ReadyzReportsPendingMigrations) {
  auto& db = server().app->database();
  db.query("DELETE FROM schema_migrations WHERE version = '001_init'");
  const auto r = client().request("GET", "/readyz");
  db.query("INSERT INTO schema_migrations (version, applied_at) VALUES ('001_init', $1)",
           {db::Timestamp{now_ms()}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json().at("error").at("code"), "SERVICE_UNAVAILABLE");
  EXPECT_EQ(r.json().at("error").at("details").at("pendingMigrations").at(0), "001_init");
  EXPECT_EQ(client().request("GET", "/readyz").status, 200);
}

TEST_P(OpsTest, MetricsCountRequestsByRouteAndStatus) {
  client().request("GET", "/api/auth/me");
  client().request("GET", "/api/v1/auth/me");
  const auto r = client().request("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.header("content-type").starts_with("text/plain"));
  const std::string& text = r.body;
  const auto line_value = [&](const std::string& prefix) -> long {
    const auto at = text.find("\n" + prefix);  // a sample line, not a # HELP line
    if (at == std::string::npos) return -1;
    return std::stol(text.substr(at + 1 + prefix.size()));
  };
  EXPECT_GE(
      line_value(R"(karma_http_requests_total{method="GET",route="/api/auth/me",status="401"} )"),
      2);
  EXPECT_NE(
      text.find(
          R"(karma_http_request_duration_seconds_bucket{method="GET",route="/api/auth/me",status="401",le="+Inf"})"),
      std::string::npos);
  EXPECT_NE(text.find("karma_http_requests_in_flight "), std::string::npos);
  EXPECT_GE(line_value(R"(karma_db_pool_connections{state="max"} )"), 1);
  EXPECT_GE(line_value("karma_db_pool_acquired_total "), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, OpsTest, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace karma::testing
