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

int Config::group_committers() const {
  return uses_postgres() ? std::max(2, static_cast<int>(std::thread::hardware_concurrency())) : 1;
}

int Config::effective_db_pool_size() const {
  return db_pool_size > 0
             ? db_pool_size
             : effective_worker_threads() + password_hash_concurrency + group_committers();
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
  if (auth_user_cache_ms < 0) throw std::runtime_error("AUTH_USER_CACHE_MS must not be negative");
  if (heartbeat_interval_seconds < 1 || metrics_max_samples < 1 || metrics_retention_days < 1)
    throw std::runtime_error("device heartbeat and metrics settings must be >= 1");
  if (event_stream_heartbeat_seconds < 1)
    throw std::runtime_error("SSE_HEARTBEAT_SECONDS must be >= 1");
  if (body_limit_bytes < 1024) throw std::runtime_error("BODY_LIMIT_BYTES must be >= 1024");
  if (upload_max_bytes < 1) throw std::runtime_error("UPLOAD_MAX_BYTES must be positive");
  if (storage_quota_free_bytes < 0)
    throw std::runtime_error("STORAGE_QUOTA_FREE_BYTES must not be negative");
  if (plan_limits != "on" && plan_limits != "off")
    throw std::runtime_error("PLAN_LIMITS must be on or off");
  if (stripe_timeout_ms < 1) throw std::runtime_error("STRIPE_TIMEOUT_MS must be positive");
  if (uses_stripe() && (billing_success_url.empty() || billing_cancel_url.empty()))
    throw std::runtime_error("Stripe needs BILLING_SUCCESS_URL and BILLING_CANCEL_URL");
  if (uses_s3() && (aws_access_key_id.empty() || aws_secret_access_key.empty()))
    throw std::runtime_error("AWS_S3_BUCKET needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  if (ws_max_frame_bytes < 4096)
    throw std::runtime_error("WS_MAX_FRAME_BYTES must be at least 4096");
  if (ws_queue_bytes < ws_max_frame_bytes)
    throw std::runtime_error("WS_QUEUE_BYTES must be at least WS_MAX_FRAME_BYTES");
  if (ws_upload_idle_seconds < 1)
    throw std::runtime_error("WS_UPLOAD_IDLE_SECONDS must be positive");
  if (s3_part_size_bytes < 5 * 1024 * 1024)
    throw std::runtime_error("S3_PART_SIZE_BYTES must be at least 5 MiB (S3's smallest part)");
}

void bind_config(CLI::App& cmd, Config& c) {
  // Every setting is a --flag with its environment variable as fallback; defaults are shown in
  // --help except where they are empty or secret.
  const auto setting = [&cmd](const char* flag, auto& value, const char* env, const char* help,
                              bool show_default = true) {
    auto* option = cmd.add_option(flag, value, help)->envname(env);
    if (show_default) option->capture_default_str();
  };
  setting("--host", c.host, "HOST", "Address to listen on");
  setting("--port", c.port, "PORT", "TCP port (0 picks a free one)");
  setting("--data-dir", c.data_dir, "KARMA_DATA_DIR",
          "Directory for the SQLite file and local blobs");
  setting("--database-url", c.database_url, "DATABASE_URL",
          "postgresql://user:pass@host/db or sqlite:///path.db (default: SQLite in the data dir)",
          false);
  setting("--redis-url", c.redis_url, "REDIS_URL", "redis://host:port for multi-instance pub/sub",
          false);
  setting("--secret-key", c.secret_key, "SECRET_KEY", "JWT signing secret", false);
  setting("--access-token-expire-minutes", c.access_token_expire_minutes,
          "ACCESS_TOKEN_EXPIRE_MINUTES", "Access token lifetime");
  setting("--refresh-token-days", c.refresh_token_days, "REFRESH_TOKEN_DAYS",
          "Refresh token lifetime");
  setting("--env", c.env, "KARMA_ENV", "development | production");
  setting("--log-level", c.log_level, "LOG_LEVEL", "trace|debug|info|warn|error|off");
  setting("--cors-origins", c.cors_origins, "CORS_ORIGINS",
          "Comma-separated allowed origins, * for any, empty for none");
  setting("--body-limit-bytes", c.body_limit_bytes, "BODY_LIMIT_BYTES",
          "Largest accepted JSON body");
  setting("--response-cache-bytes", c.response_cache_bytes, "RESPONSE_CACHE_BYTES",
          "Memory for rendered project lists and store pages, each (0: render every time)");
  setting("--io-threads", c.io_threads, "IO_THREADS", "I/O threads (0: one per core)");
  setting("--worker-threads", c.worker_threads, "WORKER_THREADS",
          "Threads running request handlers (0: cores on SQLite, 4 x cores on PostgreSQL)");
  setting("--db-pool-size", c.db_pool_size, "DB_POOL_SIZE",
          "Database connections (0: worker threads + password hash concurrency)");
  setting("--password-hash-concurrency", c.password_hash_concurrency, "PASSWORD_HASH_CONCURRENCY",
          "Password hashes computed at once (each takes 64 MiB)");
  setting("--request-timeout", c.request_timeout_seconds, "REQUEST_TIMEOUT_SECONDS",
          "Seconds allowed to receive one request");
  setting("--idle-timeout", c.idle_timeout_seconds, "IDLE_TIMEOUT_SECONDS",
          "Seconds a keep-alive connection idles");
  setting("--sse-heartbeat", c.event_stream_heartbeat_seconds, "SSE_HEARTBEAT_SECONDS",
          "Seconds of silence after which an event stream gets a keep-alive comment");
  setting("--shutdown-grace", c.shutdown_grace_seconds, "SHUTDOWN_GRACE_SECONDS",
          "Seconds in-flight requests get to finish on shutdown");
  setting("--login-max-failures", c.login_max_failures, "LOGIN_MAX_FAILURES",
          "Failed logins per account before throttling");
  setting("--login-ip-max-failures", c.login_ip_max_failures, "LOGIN_IP_MAX_FAILURES",
          "Failed logins per client address before throttling");
  setting("--login-window-seconds", c.login_window_seconds, "LOGIN_WINDOW_SECONDS",
          "Login throttling window");
  setting("--auth-user-cache-ms", c.auth_user_cache_ms, "AUTH_USER_CACHE_MS",
          "How long the guard trusts that a token's user exists with its role (0: always ask)");
  cmd.add_flag("--trust-proxy", c.trust_proxy, "Use X-Forwarded-For as the client address")
      ->envname("TRUST_PROXY");
  setting("--heartbeat-interval", c.heartbeat_interval_seconds, "HEARTBEAT_INTERVAL_SECONDS",
          "Seconds between device heartbeats; 3 missed ones mark a device offline");
  setting("--ws-max-frame-bytes", c.ws_max_frame_bytes, "WS_MAX_FRAME_BYTES",
          "Largest realtime hub frame; larger ones close the socket (1009)");
  setting("--ws-queue-bytes", c.ws_queue_bytes, "WS_QUEUE_BYTES",
          "Unsent bytes one WebSocket may have queued before it gets `lagged` and a 1013 close");
  setting("--ws-upload-idle-seconds", c.ws_upload_idle_seconds, "WS_UPLOAD_IDLE_SECONDS",
          "Seconds a hub file upload may go without a chunk before it is dropped");
  setting("--metrics-max-samples", c.metrics_max_samples, "METRICS_MAX_SAMPLES_PER_DEVICE",
          "Metrics samples kept per device");
  setting("--metrics-retention-days", c.metrics_retention_days, "METRICS_RETENTION_DAYS",
          "Days metrics samples are kept");
  setting("--upload-max-bytes", c.upload_max_bytes, "UPLOAD_MAX_BYTES",
          "Largest file one upload may store");
  setting("--storage-quota-free-bytes", c.storage_quota_free_bytes, "STORAGE_QUOTA_FREE_BYTES",
          "Storage of a free-plan user (pro: 20x, team: 200x, enterprise: unlimited)");
  setting("--plan-limits", c.plan_limits, "PLAN_LIMITS",
          "on: enforce plan limits (devices, avatars, projects, storage); off: none");
  setting("--plan-limits-free", c.plan_limit_overrides[0], "PLAN_LIMITS_FREE",
          "Free plan limits over the defaults: devices=N,avatars=N,projects=N,storageBytes=N "
          "(N or unlimited)",
          false);
  setting("--plan-limits-pro", c.plan_limit_overrides[1], "PLAN_LIMITS_PRO",
          "Pro plan limits, as PLAN_LIMITS_FREE", false);
  setting("--plan-limits-team", c.plan_limit_overrides[2], "PLAN_LIMITS_TEAM",
          "Team plan limits, as PLAN_LIMITS_FREE", false);
  setting("--plan-limits-enterprise", c.plan_limit_overrides[3], "PLAN_LIMITS_ENTERPRISE",
          "Enterprise plan limits, as PLAN_LIMITS_FREE (default: unlimited)", false);
  setting("--stripe-secret-key", c.stripe_secret_key, "STRIPE_SECRET_KEY",
          "Bill through Stripe (default: the development checkout)", false);
  setting("--stripe-webhook-secret", c.stripe_webhook_secret, "STRIPE_WEBHOOK_SECRET",
          "Signing secret of the Stripe webhook endpoint (whsec_...)", false);
  setting("--stripe-api-base", c.stripe_api_base, "STRIPE_API_BASE", "Stripe's API origin");
  setting("--stripe-timeout-ms", c.stripe_timeout_ms, "STRIPE_TIMEOUT_MS",
          "Longest wait for Stripe's API (connect, and each read)");
  setting("--billing-success-url", c.billing_success_url, "BILLING_SUCCESS_URL",
          "Where a completed checkout returns the user");
  setting("--billing-cancel-url", c.billing_cancel_url, "BILLING_CANCEL_URL",
          "Where an abandoned checkout returns the user");
  setting("--s3-bucket", c.s3_bucket, "AWS_S3_BUCKET",
          "Store file contents in this S3 bucket (default: under the data dir)", false);
  setting("--s3-endpoint", c.s3_endpoint, "S3_ENDPOINT",
          "http(s)://host:port of an S3-compatible server (default: AWS)", false);
  setting("--aws-region", c.aws_region, "AWS_REGION", "Region requests are signed for");
  setting("--aws-access-key-id", c.aws_access_key_id, "AWS_ACCESS_KEY_ID", "S3 access key", false);
  setting("--aws-secret-access-key", c.aws_secret_access_key, "AWS_SECRET_ACCESS_KEY",
          "S3 secret key", false);
  setting("--s3-key-prefix", c.s3_key_prefix, "S3_KEY_PREFIX", "Prefix of every object key");
  setting("--s3-part-size-bytes", c.s3_part_size_bytes, "S3_PART_SIZE_BYTES",
          "Objects larger than this are uploaded in parts of this size");
  setting("--s3-ca-file", c.s3_ca_file, "S3_CA_FILE",
          "PEM certificates to trust for the S3 endpoint besides the system's", false);
  setting("--docs-assets-dir", c.docs_assets_dir, "DOCS_ASSETS_DIR",
          "swagger-ui-dist files for /docs (default: the checkout's web/docs/node_modules)", false);
  setting("--openai-base-url", c.openai_base_url, "OPENAI_BASE_URL",
          "OpenAI-compatible API for the agent, e.g. https://api.openai.com/v1 (default: the "
          "built-in offline planner)",
          false);
  setting("--openai-api-key", c.openai_api_key, "OPENAI_API_KEY", "Its API key", false);
  setting("--openai-model", c.openai_model, "OPENAI_MODEL",
          "Model when neither the request nor the avatar names one");
  setting("--openai-connect-timeout-ms", c.openai_connect_timeout_ms, "OPENAI_CONNECT_TIMEOUT_MS",
          "Connecting to it");
  setting("--openai-first-byte-timeout-ms", c.openai_first_byte_timeout_ms,
          "OPENAI_FIRST_BYTE_TIMEOUT_MS", "Waiting for its answer to begin");
  setting("--openai-idle-timeout-ms", c.openai_idle_timeout_ms, "OPENAI_IDLE_TIMEOUT_MS",
          "Silence allowed inside its streamed answer");
  setting("--agent-max-steps", c.agent_max_steps, "AGENT_MAX_STEPS",
          "Model calls one agent run may make");
  setting("--agent-run-timeout", c.agent_run_timeout_seconds, "AGENT_RUN_TIMEOUT_SECONDS",
          "Seconds one agent run may take");
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
