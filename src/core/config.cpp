#include "core/config.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "core/validation.hpp"

namespace karma {

std::string Config::effective_database_url() const {
  if (!database_url.empty()) return database_url;
  return "sqlite://" + data_dir + "/karma.db";
}

bool Config::uses_postgres() const {
  const std::string url = effective_database_url();
  return url.starts_with("postgres");
}

int Config::effective_worker_threads() const {
  if (worker_threads > 0) return worker_threads;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return uses_postgres() ? 4 * cores : std::max(2, cores);
}

int Config::effective_db_pool_size() const {
  return db_pool_size > 0 ? db_pool_size : effective_worker_threads() + password_hash_concurrency;
}

void Config::validate() const {
  if (port < 0 || port > 65535) throw std::runtime_error("PORT must be 0..65535");
  if (env != "development" && env != "production")
    throw std::runtime_error("KARMA_ENV must be development or production");
  if (production() && (secret_key == kDevelopmentSecret || secret_key.size() < 32))
    throw std::runtime_error(
        "SECRET_KEY must be set to a random value of at least 32 characters in production");
  if (access_token_expire_minutes < 1) throw std::runtime_error("ACCESS_TOKEN_EXPIRE_MINUTES < 1");
  if (refresh_token_days < 1) throw std::runtime_error("REFRESH_TOKEN_DAYS < 1");
  if (worker_threads < 0 || db_pool_size < 0 || password_hash_concurrency < 1)
    throw std::runtime_error("pool sizes must be >= 1");
  if (heartbeat_interval_seconds < 1 || metrics_max_samples < 1 || metrics_retention_days < 1)
    throw std::runtime_error("device heartbeat and metrics settings must be >= 1");
  if (body_limit_bytes < 1024) throw std::runtime_error("BODY_LIMIT_BYTES must be >= 1024");
}

void bind_config(CLI::App& cmd, Config& c) {
  cmd.add_option("--host", c.host, "Address to listen on")->envname("HOST")->capture_default_str();
  cmd.add_option("--port", c.port, "TCP port (0 picks a free one)")
      ->envname("PORT")
      ->capture_default_str();
  cmd.add_option("--data-dir", c.data_dir, "Directory for the SQLite file and local blobs")
      ->envname("KARMA_DATA_DIR")
      ->capture_default_str();
  cmd.add_option("--database-url", c.database_url,
                 "postgresql://user:pass@host/db or sqlite:///path.db (default: SQLite in the "
                 "data dir)")
      ->envname("DATABASE_URL");
  cmd.add_option("--redis-url", c.redis_url, "redis://host:port for multi-instance pub/sub")
      ->envname("REDIS_URL");
  cmd.add_option("--secret-key", c.secret_key, "JWT signing secret")->envname("SECRET_KEY");
  cmd.add_option("--access-token-expire-minutes", c.access_token_expire_minutes,
                 "Access token lifetime")
      ->envname("ACCESS_TOKEN_EXPIRE_MINUTES")
      ->capture_default_str();
  cmd.add_option("--refresh-token-days", c.refresh_token_days, "Refresh token lifetime")
      ->envname("REFRESH_TOKEN_DAYS")
      ->capture_default_str();
  cmd.add_option("--env", c.env, "development | production")
      ->envname("KARMA_ENV")
      ->capture_default_str();
  cmd.add_option("--log-level", c.log_level, "trace|debug|info|warn|error|off")
      ->envname("LOG_LEVEL")
      ->capture_default_str();
  cmd.add_option("--cors-origins", c.cors_origins,
                 "Comma-separated allowed origins, * for any, empty for none")
      ->envname("CORS_ORIGINS")
      ->capture_default_str();
  cmd.add_option("--body-limit-bytes", c.body_limit_bytes, "Largest accepted JSON body")
      ->envname("BODY_LIMIT_BYTES")
      ->capture_default_str();
  cmd.add_option("--io-threads", c.io_threads, "I/O threads (0: one per core)")
      ->envname("IO_THREADS")
      ->capture_default_str();
  cmd.add_option("--worker-threads", c.worker_threads,
                 "Threads running request handlers (0: cores on SQLite, 4 x cores on PostgreSQL)")
      ->envname("WORKER_THREADS")
      ->capture_default_str();
  cmd.add_option("--db-pool-size", c.db_pool_size,
                 "Database connections (0: worker threads + password hash concurrency)")
      ->envname("DB_POOL_SIZE")
      ->capture_default_str();
  cmd.add_option("--password-hash-concurrency", c.password_hash_concurrency,
                 "Password hashes computed at once (each takes 64 MiB)")
      ->envname("PASSWORD_HASH_CONCURRENCY")
      ->capture_default_str();
  cmd.add_option("--request-timeout", c.request_timeout_seconds,
                 "Seconds allowed to receive one request")
      ->envname("REQUEST_TIMEOUT_SECONDS")
      ->capture_default_str();
  cmd.add_option("--idle-timeout", c.idle_timeout_seconds, "Seconds a keep-alive connection idles")
      ->envname("IDLE_TIMEOUT_SECONDS")
      ->capture_default_str();
  cmd.add_option("--shutdown-grace", c.shutdown_grace_seconds,
                 "Seconds in-flight requests get to finish on shutdown")
      ->envname("SHUTDOWN_GRACE_SECONDS")
      ->capture_default_str();
  cmd.add_option("--login-max-failures", c.login_max_failures,
                 "Failed logins per account before throttling")
      ->envname("LOGIN_MAX_FAILURES")
      ->capture_default_str();
  cmd.add_option("--login-ip-max-failures", c.login_ip_max_failures,
                 "Failed logins per client address before throttling")
      ->envname("LOGIN_IP_MAX_FAILURES")
      ->capture_default_str();
  cmd.add_option("--login-window-seconds", c.login_window_seconds, "Login throttling window")
      ->envname("LOGIN_WINDOW_SECONDS")
      ->capture_default_str();
  cmd.add_flag("--trust-proxy", c.trust_proxy, "Use X-Forwarded-For as the client address")
      ->envname("TRUST_PROXY");
  cmd.add_option("--heartbeat-interval", c.heartbeat_interval_seconds,
                 "Seconds between device heartbeats; 3 missed ones mark a device offline")
      ->envname("HEARTBEAT_INTERVAL_SECONDS")
      ->capture_default_str();
  cmd.add_option("--metrics-max-samples", c.metrics_max_samples, "Metrics samples kept per device")
      ->envname("METRICS_MAX_SAMPLES_PER_DEVICE")
      ->capture_default_str();
  cmd.add_option("--metrics-retention-days", c.metrics_retention_days,
                 "Days metrics samples are kept")
      ->envname("METRICS_RETENTION_DAYS")
      ->capture_default_str();
}

void load_dotenv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    if (text.starts_with("export ")) text = trim(text.substr(7));
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key(trim(text.substr(0, eq)));
    std::string_view value = trim(text.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (!key.empty()) setenv(key.c_str(), std::string(value).c_str(), /*overwrite=*/0);
  }
}

}  // namespace karma
