#include "app.hpp"

#include <filesystem>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "core/validation.hpp"
#include "db/migrations.hpp"
#include "storage/blob_store.hpp"

#ifndef KARMA_VERSION
#define KARMA_VERSION "dev"
#endif

namespace karma {
namespace {

std::unique_ptr<db::Database> open_and_migrate(const Config& config) {
  auto db = open_configured_database(config);
  for (const auto& name : db::migrate(*db)) log::info("migration applied", {{"name", name}});
  return db;
}

std::unique_ptr<storage::BlobStore> make_blob_store(const Config& config) {
  if (!config.uses_s3())
    return storage::make_local_blob_store(std::filesystem::path(config.data_dir) / "blobs");
  log::info("blobs in S3", {{"bucket", config.s3_bucket}, {"endpoint", config.s3_endpoint}});
  return storage::make_s3_blob_store({.endpoint = config.s3_endpoint,
                                      .region = config.aws_region,
                                      .bucket = config.s3_bucket,
                                      .access_key = config.aws_access_key_id,
                                      .secret_key = config.aws_secret_access_key,
                                      .key_prefix = config.s3_key_prefix,
                                      .part_size = config.s3_part_size_bytes,
                                      .ca_file = config.s3_ca_file});
}

}  // namespace

std::unique_ptr<db::Database> open_configured_database(const Config& config) {
  return db::open_database(config.effective_database_url(), config.effective_db_pool_size());
}

App::App(Config config)
    : config_(std::move(config)),
      db_(open_and_migrate(config_)),
      events_(config_.redis_url.empty() ? realtime::make_local_event_bus()
                                        : realtime::make_redis_event_bus(config_.redis_url)),
      commits_(*db_, config_.group_committers()),
      blobs_(make_blob_store(config_)),
      platform_{config_, *db_, commits_, *events_, *blobs_},
      auth_(platform_),
      billing_(platform_, auth_.users()),
      devices_(platform_, billing_.plans()),
      files_(platform_, devices_.directory(), billing_.plans()),
      avatars_(platform_, auth_.users(), billing_.plans()),
      projects_(platform_, auth_.users(), avatars_.directory(), billing_.plans()),
      agent_(platform_, auth_.users(), devices_.service(), devices_.commands(), projects_.service(),
             avatars_.service()),
      hub_(platform_, auth_.service(), devices_.service(), projects_.service(), avatars_.service(),
           agent_.chat(), files_.transfer()),
      ops_(platform_, metrics_, KARMA_VERSION),
      leases_(*db_, crypto::uuid_v4()) {
  scheduler_.use_leases([this](const std::string& job, std::chrono::milliseconds ttl) {
    return leases_.acquire(job, ttl);
  });
  router_.set_error_translator([](const std::exception& e) -> std::optional<AppError> {
    if (const auto* db_error = dynamic_cast<const db::DbError*>(&e);
        db_error && db_error->kind() != db::DbError::Kind::other) {
      return db::app_error_of(*db_error);
    }
    // A blob store that refuses or is gone (S3 down, an object missing from this instance's
    // storage): the client may try again, the instance is fine.
    if (const auto* storage_error = dynamic_cast<const storage::StorageError*>(&e))
      return storage::unavailable(*storage_error);
    return std::nullopt;
  });
  for (Module* module : std::initializer_list<Module*>{
           &auth_, &billing_, &devices_, &files_, &avatars_, &projects_, &agent_, &hub_, &ops_})
    module->mount(router_, scheduler_);

  http::ServerOptions options;
  options.host = config_.host;
  options.port = static_cast<std::uint16_t>(config_.port);
  options.io_threads = config_.io_threads;
  options.worker_threads = config_.effective_worker_threads();
  options.heavy_threads = config_.password_hash_concurrency;
  options.body_limit_bytes = config_.body_limit_bytes;
  options.request_timeout_seconds = config_.request_timeout_seconds;
  options.idle_timeout_seconds = config_.idle_timeout_seconds;
  options.event_stream_heartbeat_seconds = config_.event_stream_heartbeat_seconds;
  options.shutdown_grace_seconds = config_.shutdown_grace_seconds;
  const auto origins = split_list(config_.cors_origins);
  options.cors_origins.assign(origins.begin(), origins.end());
  options.trust_proxy = config_.trust_proxy;
  options.websocket_queue_bytes = config_.ws_queue_bytes;
  server_ = std::make_unique<http::Server>(std::move(options), router_, metrics_);
}

App::~App() {
  stop();
}

void App::start() {
  server_->start();
  scheduler_.start();
}

void App::stop() {
  agent_.stop();  // its runs end with RUN_ERROR while their streams are still open
  scheduler_.stop();
  if (server_) server_->stop();
  commits_.stop();  // commits what is queued while the services its callbacks use still exist
  db_->close();
}

}  // namespace karma
