#include "realtime/hub_module.hpp"

#include "core/app_error.hpp"
#include "core/config.hpp"
#include "http/router.hpp"

namespace karma::realtime {

HubModule::HubModule(const Platform& platform, auth::AuthService& auth,
                     devices::DeviceService& devices, projects::ProjectService& projects,
                     avatars::AvatarService& avatars, HubChat& chat, HubFiles& files)
    : auth_(auth),
      devices_(devices),
      projects_(projects),
      avatars_(avatars),
      hub_(platform.bus, *this, chat, files,
           HubSettings{.max_frame_bytes = platform.config.ws_max_frame_bytes,
                       .upload_idle_timeout =
                           std::chrono::seconds(platform.config.ws_upload_idle_seconds)}) {}

std::optional<HubDirectory::Identity> HubModule::identify(std::string_view access_token) {
  try {
    const auth::VerifiedToken verified = auth_.verify(access_token);
    return Identity{verified.caller.user_id, verified.expires_at};
  } catch (const AppError&) {
    return std::nullopt;
  }
}

bool HubModule::may_see(const std::string& user_id, const hub::Topic& topic) {
  const Caller caller{user_id, "user"};
  try {
    if (topic.kind == "device") return devices_.get(caller, topic.id).user_id == user_id;
    if (topic.kind == "project") return projects_.get(caller, topic.id).project.id == topic.id;
    if (topic.kind == "avatar") return avatars_.get(caller, topic.id).record.created_by == user_id;
  } catch (const AppError&) {
    // Not there, or not theirs: the same answer (no existence oracle).
  }
  return false;
}

void HubModule::mount(http::Router& router, jobs::Scheduler&) {
  const auto accept = [this](http::Request& request) {
    std::optional<std::string> token;
    if (auto t = request.query_param("token")) token = std::string(*t);
    return hub_.accept(std::move(token));
  };
  for (const char* path : {"/api/ws", "/"})
    router.websocket(path, accept, {.guard = http::Guard::open})
        .describe({.operation_id = std::string(path) == "/" ? "realtimeRoot" : "realtime",
                   .summary = "The realtime hub: a WebSocket of JSON envelopes (API.md §8)",
                   .tag = "Realtime",
                   .replies = {{101, nullptr, "Switching to the WebSocket protocol"}}});
}

}  // namespace karma::realtime
