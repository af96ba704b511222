#include "auth/auth_module.hpp"

#include "auth/auth_routes.hpp"
#include "core/config.hpp"
#include "redis/redis_rate_limiter.hpp"

namespace karma::auth {

AuthModule::AuthModule(const Platform& platform)
    // Throttling counts across instances when they share Redis.
    : limiter_(platform.config.redis_url.empty()
                   ? make_in_process_rate_limiter()
                   : redis::make_rate_limiter(platform.config.redis_url)),
      hasher_(platform.config.password_hash_concurrency),
      service_(
          platform.db, platform.bus,
          AuthSettings{platform.config.secret_key, platform.config.access_token_expire_minutes,
                       platform.config.refresh_token_days, platform.config.login_max_failures,
                       platform.config.login_ip_max_failures, platform.config.login_window_seconds,
                       platform.config.auth_user_cache_ms},
          *limiter_, hasher_) {}

void AuthModule::mount(http::Router& router, jobs::Scheduler&) {
  mount_auth_routes(router, service_);
}

}  // namespace karma::auth
