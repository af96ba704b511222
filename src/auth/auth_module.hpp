#pragma once
// The auth feature: accounts, sessions, the bearer-token guard (API.md §1).
#include <memory>

#include "auth/auth_service.hpp"
#include "auth/password.hpp"
#include "core/rate_limiter.hpp"
#include "platform/module.hpp"

namespace karma::auth {

class AuthModule final : public Module {
 public:
  explicit AuthModule(const Platform& platform);
  AuthService& service() { return service_; }
  UserDirectory& users() { return service_; }
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  std::unique_ptr<RateLimiter> limiter_;
  PasswordHasher hasher_;
  AuthService service_;
};

}  // namespace karma::auth
