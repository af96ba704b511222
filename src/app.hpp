#pragma once
// Wires one Karma instance together: the platform (database, bus, blob store), the feature
// modules and the HTTP server. main() and the integration tests build it the same way.
#include <cstdint>
#include <memory>
#include <string>

#include "agent/agent_module.hpp"
#include "auth/auth_module.hpp"
#include "avatars/avatars_module.hpp"
#include "billing/billing_module.hpp"
#include "core/config.hpp"
#include "db/database.hpp"
#include "db/group_commit.hpp"
#include "devices/devices_module.hpp"
#include "files/files_module.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "jobs/job_leases.hpp"
#include "jobs/scheduler.hpp"
#include "ops/ops_module.hpp"
#include "platform/module.hpp"
#include "projects/projects_module.hpp"
#include "realtime/event_bus.hpp"
#include "realtime/hub_module.hpp"
#include "realtime/redis_event_bus.hpp"
#include "storage/blob_store.hpp"

namespace karma {

class App {
 public:
  // Opens the database and applies pending migrations; throws when either fails.
  explicit App(Config config);
  ~App();

  void start();  // binds and serves; returns immediately
  std::uint16_t port() const { return server_->port(); }
  // Blocks until SIGINT or SIGTERM, then shuts down gracefully (agent runs first).
  void wait_for_signal() {
    server_->wait_for_signal();
    stop();
  }
  void stop();  // graceful; idempotent

  db::Database& database() { return *db_; }
  auth::AuthService& auth() { return auth_.service(); }
  devices::DeviceService& devices() { return devices_.service(); }
  devices::CommandService& commands() { return devices_.commands(); }
  billing::SubscriptionService& subscriptions() { return billing_.subscriptions(); }
  realtime::EventBus& events() { return *events_; }
  const Config& config() const { return config_; }
  const http::Router& router() const { return router_; }

 private:
  Config config_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<realtime::EventBus> events_;
  db::GroupCommit commits_;
  std::unique_ptr<storage::BlobStore> blobs_;
  Platform platform_;
  http::Metrics metrics_;
  // Features, each handed the public interfaces of those it uses.
  auth::AuthModule auth_;
  billing::BillingModule billing_;
  devices::DevicesModule devices_;
  files::FilesModule files_;
  avatars::AvatarsModule avatars_;
  projects::ProjectsModule projects_;
  agent::AgentModule agent_;
  realtime::HubModule hub_;
  ops::OpsModule ops_;
  // Background jobs run on whichever instance holds each job's lease (one at a time).
  jobs::JobLeases leases_;
  jobs::Scheduler scheduler_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

// Opens the configured database (creating the SQLite file) without migrating.
std::unique_ptr<db::Database> open_configured_database(const Config& config);

}  // namespace karma
