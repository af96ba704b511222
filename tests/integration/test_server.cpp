#include "test_server.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include "core/crypto.hpp"
#include "core/json.hpp"
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
  TestServer& get(const std::string& name, const std::function<Config()>& config) {
    std::lock_guard lock(mutex_);
    auto& slot = servers_[name];
    if (!slot) slot = start_server(config());
    return *slot;
  }
  void TearDown() override { servers_.clear(); }

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<TestServer>> servers_;
};

}  // namespace

namespace {

// With KARMA_CONTRACT_LOG set, every answer a test client receives is appended there as one
// JSON line; the e2e suite's contract check validates them against /api/openapi.json.
void record_for_contract(std::string_view method, std::string_view target,
                         const http::ClientResponse& response) {
  static std::mutex mutex;
  static const char* path = std::getenv("KARMA_CONTRACT_LOG");
  if (!path) return;
  boost::json::object line{{"method", method},
                           {"target", target},
                           {"status", response.status},
                           {"contentType", response.header("content-type")}};
  if (response.header("content-type") == "application/json") line["body"] = response.json();
  std::lock_guard lock(mutex);
  std::ofstream(path, std::ios::app) << json::serialize(line) << '\n';
}

}  // namespace

std::unique_ptr<http::HttpClient> TestServer::client() const {
  auto client = std::make_unique<http::HttpClient>("127.0.0.1", app->port());
  client->observe(record_for_contract);
  return client;
}

std::vector<std::string> backends() {
  return {"sqlite", "postgres"};
}

std::vector<std::string> storage_backends() {
  return {"sqlite", "postgres", "sqlite_s3", "postgres_s3"};
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
  // Suites create many devices, avatars and projects per user; billing_test runs the real limits.
  config.plan_limit_overrides[0] = "devices=1000,avatars=1000,projects=1000";
  const auto dir =
      std::filesystem::temp_directory_path() / ("karma-it-" + crypto::hex(crypto::random_bytes(6)));
  std::filesystem::create_directories(dir);
  config.data_dir = dir.string();
  if (backend.starts_with("postgres")) config.database_url = env("KARMA_TEST_DATABASE_URL");
  if (backend.ends_with("_s3")) {
    config.s3_endpoint = s3_endpoint();
    config.s3_bucket = kTestBucket;
    config.aws_access_key_id = "S3RVER";
    config.aws_secret_access_key = "S3RVER";
    config.s3_key_prefix = "it-" + crypto::hex(crypto::random_bytes(6)) + "/";
    config.s3_part_size_bytes = 5 << 20;
  }
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
  return Servers::instance().get(backend, [&] { return test_config(backend); });
}

TestServer& shared_server(const std::string& name, const std::function<Config()>& config) {
  return Servers::instance().get(name, config);
}

bool postgres_available() {
  return !env("KARMA_TEST_DATABASE_URL").empty();
}

std::string s3_endpoint() {
  return env("KARMA_TEST_S3_ENDPOINT");
}

void require_services(const std::string& backend) {
  if (backend.starts_with("postgres") && !postgres_available()) {
    if (env("KARMA_REQUIRE_POSTGRES") == "1")
      FAIL() << "KARMA_REQUIRE_POSTGRES=1 but KARMA_TEST_DATABASE_URL is not set";
    GTEST_SKIP() << "KARMA_TEST_DATABASE_URL not set";
  }
  if (backend.ends_with("_s3") && s3_endpoint().empty()) {
    if (env("KARMA_REQUIRE_S3") == "1")
      FAIL() << "KARMA_REQUIRE_S3=1 but KARMA_TEST_S3_ENDPOINT is not set";
    GTEST_SKIP() << "KARMA_TEST_S3_ENDPOINT not set";
  }
}

std::vector<S3Object> list_s3_objects(const std::string& prefix) {
  const std::string endpoint = s3_endpoint();
  const auto url = boost::urls::parse_uri(endpoint).value();
  http::HttpClient client(std::string(url.host()), static_cast<std::uint16_t>(url.port_number()));
  std::vector<S3Object> objects;
  std::string token;
  for (;;) {
    std::string target =
        std::string("/") + kTestBucket + "?list-type=2&prefix=" + crypto::percent_encode(prefix);
    if (!token.empty()) target += "&continuation-token=" + crypto::percent_encode(token);
    const auto r = client.request("GET", target);
    if (r.status != 200) throw std::runtime_error("listing the test bucket: " + r.body);
    std::string_view xml = r.body;
    const auto element = [](std::string_view text, std::string_view tag) {
      const std::string open = "<" + std::string(tag) + ">";
      const auto b = text.find(open);
      if (b == std::string_view::npos) return std::string();
      const auto e = text.find("</" + std::string(tag) + ">", b);
      return std::string(text.substr(b + open.size(), e - b - open.size()));
    };
    for (auto at = xml.find("<Contents>"); at != std::string_view::npos;
         at = xml.find("<Contents>", at + 1)) {
      const std::string_view entry = xml.substr(at, xml.find("</Contents>", at) - at);
      std::string etag = element(entry, "ETag");
      std::erase(etag, '"');
      if (etag.starts_with("&quot;")) etag = etag.substr(6, etag.size() - 12);
      objects.push_back({element(entry, "Key"), etag, std::stoull(element(entry, "Size"))});
    }
    token = element(xml, "NextContinuationToken");
    if (token.empty()) return objects;
  }
}

void BackendTest::SetUp() {
  require_services(GetParam());
  if (IsSkipped() || HasFatalFailure()) return;
  server_ = &server_for(GetParam());
  client_ = server_->client();
}

void OwnerTest::SetUp() {
  BackendTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  owner = register_account(client());
}

http::ClientResponse OwnerTest::call(const std::string& method, const std::string& path,
                                     const std::string& payload, const Account* as) {
  return client().request(method, path, payload, bearer((as ? *as : owner).access_token));
}

std::uint64_t OwnerTest::statements_of(const std::function<void()>& before_each,
                                       const std::function<http::ClientResponse()>& request) {
  std::uint64_t fewest = UINT64_MAX;
  for (int attempt = 0; attempt < 3; ++attempt) {
    before_each();
    const auto before = server().app->database().stats().statements_total;
    const auto r = request();
    EXPECT_EQ(r.status, 200) << r.body;
    fewest = std::min(fewest, server().app->database().stats().statements_total - before);
  }
  return fewest;
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
