#include "test_server.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include <boost/json/serialize.hpp>
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace karma::testing {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string with_search_path(const std::string& url, const std::string& schema) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

class Servers : public ::testing::Environment {
 public:
  static Servers& instance() {
    static Servers* servers = [] {
      auto* s = new Servers;
      ::testing::AddGlobalTestEnvironment(s);  // gtest owns it and calls TearDown at exit
      return s;
    }();
    return *servers;
  }
  TestServer& get(const std::string& backend) {
    std::lock_guard lock(mutex_);
    auto& slot = servers_[backend];
    if (!slot) slot = start_server(test_config(backend));
    return *slot;
  }
  void TearDown() override { servers_.clear(); }

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<TestServer>> servers_;
};

}  // namespace

std::unique_ptr<http::HttpClient> TestServer::client() const {
  return std::make_unique<http::HttpClient>("127.0.0.1", app->port());
}

std::vector<std::string> backends() {
  return {"sqlite", "postgres"};
}

std::string backend_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

Config test_config(const std::string& backend) {
  crypto::init();
  log::init(env("KARMA_TEST_LOG_LEVEL").empty() ? "error" : env("KARMA_TEST_LOG_LEVEL"));
  Config config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.io_threads = 2;
  config.worker_threads = 4;  // more than one, so tests exercise concurrent handlers
  config.body_limit_bytes = 64 * 1024;
  config.trust_proxy = true;  // tests pick their client address with X-Forwarded-For
  config.login_max_failures = 5;
  config.login_ip_max_failures = 8;
  config.secret_key = "integration-test-secret-0123456789abcdef";
  config.shutdown_grace_seconds = 5;
  config.upload_max_bytes = 4 << 20;          // files_test uploads past it
  config.storage_quota_free_bytes = 6 << 20;  // and past this
  const auto dir =
      std::filesystem::temp_directory_path() / ("karma-it-" + crypto::hex(crypto::random_bytes(6)));
  std::filesystem::create_directories(dir);
  config.data_dir = dir.string();
  if (backend == "postgres") config.database_url = env("KARMA_TEST_DATABASE_URL");
  return config;
}

std::unique_ptr<TestServer> start_server(Config config) {
  auto server = std::make_unique<TestServer>();
  if (config.database_url.starts_with("postgres")) {
    // A schema per server: parallel runs and earlier runs never collide.
    server->schema = "it_" + crypto::hex(crypto::random_bytes(6));
    db::open_database(config.database_url, 1)->query("CREATE SCHEMA " + server->schema);
    config.database_url = with_search_path(config.database_url, server->schema);
  }
  server->config = config;
  server->app = std::make_unique<App>(config);
  server->app->start();
  return server;
}

TestServer& shared_server(const std::string& backend) {
  return Servers::instance().get(backend);
}

bool postgres_available() {
  return !env("KARMA_TEST_DATABASE_URL").empty();
}

void BackendTest::SetUp() {
  if (GetParam() == "postgres" && !postgres_available()) {
    if (env("KARMA_REQUIRE_POSTGRES") == "1")
      FAIL() << "KARMA_REQUIRE_POSTGRES=1 but KARMA_TEST_DATABASE_URL is not set";
    GTEST_SKIP() << "KARMA_TEST_DATABASE_URL not set";
  }
  server_ = &shared_server(GetParam());
  client_ = server_->client();
}

TestServer::~TestServer() {
  if (app) app->stop();
  app.reset();
  if (!schema.empty()) {
    try {
      db::open_database(env("KARMA_TEST_DATABASE_URL"), 1)
          ->query("DROP SCHEMA " + schema + " CASCADE");
    } catch (const std::exception&) {
      // Leaving a schema behind is harmless; failing the run over it is not worth it.
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(config.data_dir, ec);
}

std::string unique_email(const std::string& tag) {
  static std::atomic<int> counter{0};
  return tag + "-" + std::to_string(++counter) + "-" + crypto::hex(crypto::random_bytes(4)) +
         "@example.test";
}

std::string unique_ip() {
  static std::atomic<int> counter{0};
  const int n = ++counter;
  return "10." + std::to_string((n >> 16) & 255) + "." + std::to_string((n >> 8) & 255) + "." +
         std::to_string(n & 255);
}

std::vector<http::Header> bearer(const std::string& token) {
  return {{"authorization", "Bearer " + token}};
}

std::string body(const boost::json::object& payload) {
  return boost::json::serialize(payload);
}

std::string error_code(const http::ClientResponse& r) {
  const auto v = r.json();
  return v.is_object() && v.as_object().contains("error")
             ? std::string(v.at("error").at("code").as_string())
             : "<none>";
}

std::vector<http::Header> from_ip(const std::string& ip) {
  return {{"x-forwarded-for", ip}};
}

Account register_account(http::HttpClient& client, const std::string& password) {
  Account account;
  account.email = unique_email();
  account.password = password;
  const boost::json::object body{
      {"email", account.email}, {"password", password}, {"name", "Test User"}};
  const auto response = client.request("POST", "/api/auth/register", boost::json::serialize(body));
  EXPECT_EQ(response.status, 201) << response.body;
  const auto data = response.json().at("data");
  account.id = std::string(data.at("user").at("id").as_string());
  account.access_token = std::string(data.at("accessToken").as_string());
  account.refresh_token = std::string(data.at("refreshToken").as_string());
  return account;
}

}  // namespace karma::testing
