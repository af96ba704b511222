#pragma once
// One in-process Karma server per database backend, shared by the tests of a run, plus helpers
// for talking to it. The PostgreSQL backend gets a schema of its own per run, so runs never see
// each other's rows.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app.hpp"
#include "http/http_client.hpp"

namespace karma::testing {

struct TestServer {
  std::unique_ptr<App> app;
  Config config;
  std::string schema;  // PostgreSQL only
  ~TestServer();

  std::unique_ptr<http::HttpClient> client() const;
  std::uint16_t port() const { return app->port(); }
};

// The configuration integration tests run with on `backend`: "sqlite" | "postgres", blobs in
// the local store, or "sqlite_s3" | "postgres_s3", blobs in the test S3 server under a key
// prefix of the server's own.
Config test_config(const std::string& backend);
// KARMA_TEST_DATABASE_URL is set. Without it PostgreSQL tests skip, or fail under
// KARMA_REQUIRE_POSTGRES=1 (as ./scripts/test runs them).
bool postgres_available();
// KARMA_TEST_S3_ENDPOINT names an S3 server (s3rver) with the bucket kTestBucket. Without it
// S3 tests skip, or fail under KARMA_REQUIRE_S3=1.
std::string s3_endpoint();
inline constexpr const char* kTestBucket = "karma-test";
// Skips or fails the current test when `backend` needs a service the run does not have.
void require_services(const std::string& backend);

struct S3Object {
  std::string key;
  std::string etag;  // unquoted; the content's MD5 for objects stored in one PUT
  std::uint64_t size = 0;
};
// The test bucket's objects under `prefix`, listed over plain HTTP (s3rver does not check
// signatures; the store's own requests are signed).
std::vector<S3Object> list_s3_objects(const std::string& prefix);
// Starts a fresh server with `config` (the caller owns it).
std::unique_ptr<TestServer> start_server(Config config);
// The shared server of `backend`, started on first use.
TestServer& shared_server(const std::string& backend);
// A server shared under `name` by the suites that need `config()` instead (started on first
// use, stopped at the end of the run).
TestServer& shared_server(const std::string& name, const std::function<Config()>& config);

// Backends to instantiate parameterised suites with.
std::vector<std::string> backends();
// The same, each with the local and the S3 blob store (suites that touch file contents).
std::vector<std::string> storage_backends();

std::string unique_email(const std::string& tag = "user");
// A client address nobody else in this run uses (login throttling is per address).
std::string unique_ip();

struct Account {
  std::string id;
  std::string email;
  std::string password;
  std::string access_token;
  std::string refresh_token;
};

Account register_account(http::HttpClient& client, const std::string& password = "password123");
std::vector<http::Header> bearer(const std::string& token);
// A JSON request body.
std::string body(const boost::json::object& payload);
std::vector<http::Header> from_ip(const std::string& ip);
// The error code of an error envelope, "<none>" for anything else.
std::string error_code(const http::ClientResponse& r);

// Parameterised fixture: GetParam() is the backend name.
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  TestServer& server() { return *server_; }
  http::HttpClient& client() { return *client_; }
  // The server the test talks to: the backend's shared one unless a suite needs its own.
  virtual TestServer& server_for(const std::string& backend) { return shared_server(backend); }

 private:
  TestServer* server_ = nullptr;
  std::unique_ptr<http::HttpClient> client_;
};

// A BackendTest with a registered user, `owner`, whom call() speaks for unless told otherwise.
class OwnerTest : public BackendTest {
 protected:
  void SetUp() override;
  http::ClientResponse call(const std::string& method, const std::string& path,
                            const std::string& payload = {}, const Account* as = nullptr);
  // The statements `request` runs (the fewest of three: background jobs may add some), with
  // `before_each` run ahead of each attempt, outside the count.
  std::uint64_t statements_of(const std::function<void()>& before_each,
                              const std::function<http::ClientResponse()>& request);
  Account owner;
};

// Test names end in the backend: "AuthTest.Register/sqlite".
std::string backend_name(const ::testing::TestParamInfo<std::string>& info);

}  // namespace karma::testing
