#pragma once
// The realtime hub as a module (API.md §8): mounts GET /api/ws (also /api/v1/ws) and / for the
// web app's session manager, and answers the hub's questions — whose a token is, what its user
// may see — through the auth, devices, projects and avatars features' public services.
#include <memory>

#include "auth/auth_service.hpp"
#include "avatars/avatar_service.hpp"
#include "devices/device_service.hpp"
#include "platform/module.hpp"
#include "projects/project_service.hpp"
#include "realtime/hub.hpp"

namespace karma::realtime {

class HubModule final : public Module, private HubDirectory {
 public:
  HubModule(const Platform& platform, auth::AuthService& auth, devices::DeviceService& devices,
            projects::ProjectService& projects, avatars::AvatarService& avatars, HubChat& chat,
            HubFiles& files);
  void mount(http::Router& router, jobs::Scheduler& jobs) override;

 private:
  std::optional<Identity> identify(std::string_view access_token) override;
  bool may_see(const std::string& user_id, const hub::Topic& topic) override;

  auth::AuthService& auth_;
  devices::DeviceService& devices_;
  projects::ProjectService& projects_;
  avatars::AvatarService& avatars_;
  Hub hub_;
};

}  // namespace karma::realtime
