#pragma once
// Every setting of the server. Precedence: flags > environment > .env file > defaults.
#include <array>
#include <cstddef>
#include <string>

namespace CLI {
class App;
}

namespace karma {

inline constexpr const char* kDevelopmentSecret =
    "karma-development-secret-do-not-use-in-production";

struct Config {
  std::string host = "0.0.0.0";
  int port = 3000;
  std::string data_dir = "./data";
  std::string database_url;  // empty: SQLite file <data_dir>/karma.db
  std::string redis_url;
  std::string secret_key = kDevelopmentSecret;
  int access_token_expire_minutes = 30;
  int refresh_token_days = 30;
  std::string env = "development";
  std::string log_level = "info";
  std::string cors_origins = "*";
  std::size_t body_limit_bytes = 1024 * 1024;
  std::size_t response_cache_bytes = 64 * 1024 * 1024;  // per list kept (see StampedCache)
  int io_threads = 0;                                   // 0: one per core
  int worker_threads = 0;             // 0: sized for the database (see effective_worker_threads)
  int db_pool_size = 0;               // 0: one connection per thread that may use one
  int password_hash_concurrency = 2;  // Argon2id hashes in progress (64 MiB each)
  int request_timeout_seconds = 30;
  int idle_timeout_seconds = 75;
  int event_stream_heartbeat_seconds = 15;  // a comment on an SSE stream after this silence
  int shutdown_grace_seconds = 10;
  int login_max_failures = 5;      // per account within the window
  int login_ip_max_failures = 30;  // per client address within the window
  int login_window_seconds = 900;
  int auth_user_cache_ms = 1000;              // the guard trusts a user lookup this long
  bool trust_proxy = false;                   // take the client address from X-Forwarded-For
  int heartbeat_interval_seconds = 30;        // devices silent for 3 intervals become offline
  // The realtime hub (API.md §8): its largest frame, what one socket may have queued and
  // unsent before it is told `lagged` and closed, and how long a socket upload may idle.
  std::size_t ws_max_frame_bytes = 1024 * 1024;
  std::size_t ws_queue_bytes = 4 * 1024 * 1024;
  int ws_upload_idle_seconds = 60;
  std::int64_t metrics_max_samples = 10'000;  // per device; older samples are pruned
  int metrics_retention_days = 30;
  std::int64_t upload_max_bytes = 5LL << 30;          // one uploaded file
  std::int64_t storage_quota_free_bytes = 5LL << 30;  // pro: 20x, team: 200x, enterprise: none
  std::string plan_limits = "on";  // "off": no plan limits (self-hosted, load tests)
  // Per plan (free, pro, team, enterprise): "devices=N,avatars=N,projects=N,storageBytes=N"
  // over the defaults, any of them "unlimited" (see billing::PlanCatalog).
  std::array<std::string, 4> plan_limit_overrides;
  // Billing: Stripe when a secret key is given, otherwise the development checkout.
  std::string stripe_secret_key;
  std::string stripe_webhook_secret;
  std::string stripe_api_base = "https://api.stripe.com";
  int stripe_timeout_ms = 10000;
  std::string billing_success_url = "http://localhost:5173/settings?checkout=success";
  std::string billing_cancel_url = "http://localhost:5173/settings?checkout=cancelled";
  // Blobs go to S3 when a bucket is named, otherwise under data_dir.
  std::string s3_bucket;
  std::string s3_endpoint;  // empty: AWS; else an S3-compatible server (MinIO …)
  std::string aws_region = "us-east-1";
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string s3_key_prefix = "blobs/";
  std::size_t s3_part_size_bytes = 8 * 1024 * 1024;
  std::string s3_ca_file;
  std::string docs_assets_dir;  // Swagger UI for /docs; empty: what web/docs installs
  // The agent's model: an OpenAI-compatible Chat Completions API when a base URL is given,
  // otherwise the built-in offline planner.
  std::string openai_base_url;  // e.g. https://api.openai.com/v1
  std::string openai_api_key;
  std::string openai_model = "gpt-4o-mini";
  int openai_connect_timeout_ms = 5000;
  int openai_first_byte_timeout_ms = 60000;
  int openai_idle_timeout_ms = 30000;
  int agent_max_steps = 8;
  int agent_run_timeout_seconds = 120;

  bool production() const { return env == "production"; }
  // The database to open: DATABASE_URL, or the embedded SQLite file under data_dir.
  std::string effective_database_url() const;
  bool uses_postgres() const;
  // Handler threads: one per core on SQLite (its queries are CPU work, and more threads only
  // add wake-ups), four per core on PostgreSQL (its queries wait on the network).
  int effective_worker_threads() const;
  // Threads committing grouped writes (heartbeats): SQLite has one writer at a time anyway;
  // PostgreSQL overlaps the round trips of a few batches.
  int group_committers() const;
  int effective_db_pool_size() const;
  bool plan_limits_enforced() const { return plan_limits != "off"; }
  bool uses_s3() const { return !s3_bucket.empty(); }
  bool uses_stripe() const { return !stripe_secret_key.empty(); }
  // Throws std::runtime_error naming the first unusable setting.
  void validate() const;
};

// Declares every setting on `command` as a --flag with its environment variable as fallback.
void bind_config(CLI::App& command, Config& config);
// Loads KEY=VALUE lines from `path` into the environment, never overriding what is set already.
// A missing file is not an error.
void load_dotenv(const std::string& path);

}  // namespace karma
