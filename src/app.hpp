#pragma once
// Wires one Karma instance together: database, services, routes and the HTTP server. main()
// and the integration tests build it the same way.
#include <cstdint>
#include <memory>
#include <string>

#include "auth/auth_service.hpp"
#include "auth/password.hpp"
#include "core/config.hpp"
#include "core/rate_limiter.hpp"
#include "db/database.hpp"
#include "devices/command_service.hpp"
#include "devices/device_gateway.hpp"
#include "devices/device_service.hpp"
#include "files/file_service.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "jobs/scheduler.hpp"
#include "realtime/event_bus.hpp"
#include "storage/blob_store.hpp"

namespace karma {

class App {
 public:
  // Opens the database and applies pending migrations; throws when either fails.
  explicit App(Config config);
  ~App();

  void start();  // binds and serves; returns immediately
  std::uint16_t port() const { return server_->port(); }
  void wait_for_signal() { server_->wait_for_signal(); }
  void stop();  // graceful; idempotent

  db::Database& database() { return *db_; }
  auth::AuthService& auth() { return auth_; }
  devices::DeviceService& devices() { return devices_; }
  devices::CommandService& commands() { return commands_; }
  realtime::EventBus& events() { return *events_; }
  const Config& config() const { return config_; }

 private:
  Config config_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<RateLimiter> limiter_;
  auth::PasswordHasher hasher_;
  auth::AuthService auth_;
  std::unique_ptr<realtime::EventBus> events_;
  db::GroupCommit commits_;
  devices::DeviceService devices_;
  devices::CommandService commands_;
  devices::DeviceGateway gateway_;
  std::unique_ptr<storage::BlobStore> blobs_;
  files::FileService files_;
  jobs::Scheduler scheduler_;
  http::Metrics metrics_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

// Opens the configured database (creating the SQLite file) without migrating.
std::unique_ptr<db::Database> open_configured_database(const Config& config);

}  // namespace karma
