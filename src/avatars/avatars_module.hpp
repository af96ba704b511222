#pragma once
// The avatars feature: users' AI avatars and the store (API.md §5). Other features use it
// through AvatarDirectory.
#include "auth/user_directory.hpp"
#include "avatars/avatar_directory.hpp"
#include "avatars/avatar_service.hpp"
#include "billing/plans.hpp"
#include "core/stamped_cache.hpp"
#include "platform/module.hpp"

namespace karma::avatars {

class AvatarsModule final : public Module {
 public:
  AvatarsModule(const Platform& platform, auth::UserDirectory& users,
                billing::PlanDirectory& plans);
  AvatarDirectory& directory() { return service_; }
  AvatarService& service() { return service_; }
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  AvatarService service_;
  StampedCache rendered_pages_;
};

}  // namespace karma::avatars
