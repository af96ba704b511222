#pragma once
// The realtime hub behind GET /api/ws (and /api/v1/ws, and / — the web app's session manager
// connects to the bare host): API.md §8. A session authenticates (first message `auth` or
// ?token=), then receives every event its user may see: the bus's `user:<id>` topic, where
// the features publish device_status, avatar_status, task_update (to each member) and the
// rest. `unsubscribe` mutes topics, `subscribe` (checked against what the user may see)
// restarts them. One bus subscription per user, however many sessions the user has; each
// event is serialised once for all of them.
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "http/event_stream.hpp"
#include "http/websocket.hpp"
#include "realtime/event_bus.hpp"
#include "realtime/hub_protocol.hpp"

namespace karma::realtime {

// What the hub asks the features: whose an access token is, and what its user may see.
class HubDirectory {
 public:
  struct Identity {
    std::string user_id;
    EpochMs expires_at = 0;
  };
  virtual ~HubDirectory() = default;
  // A valid, unexpired access token of an existing user; nullopt for anything else (a refresh
  // token, an expired or forged one).
  virtual std::optional<Identity> identify(std::string_view access_token) = 0;
  // Whether `user_id` may receive `topic`'s events (their own device, avatar; a project they
  // are a member of). Something that does not exist is not visible either.
  virtual bool may_see(const std::string& user_id, const hub::Topic& topic) = 0;
};

// The agent, as the hub runs it for `chat_message` and `hitl_response` (API.md §8): the same
// runtime, thread rules and permissions as POST /api/agent, in the contract's events.
class HubChat {
 public:
  // A run checked and ready: its ids, and `start`, which streams its contract events into a
  // sink (one `data` per event, then "[DONE]").
  struct Run {
    std::string thread_id;
    std::string run_id;
    std::function<void(std::shared_ptr<http::EventSink>)> start;
  };
  virtual ~HubChat() = default;
  // chat_message {content, threadId?, avatarId?, projectId?}. Throws AppError for what is refused
  // before any event (as the HTTP route answers it).
  virtual Run chat(const std::string& user_id, const boost::json::object& message) = 0;
  // hitl_response {interruptId, approved, payload?}: resumes the interrupt's thread.
  virtual Run answer(const std::string& user_id, const boost::json::object& response) = 0;
  // Whether the thread is the user's (a `thread:<id>` topic).
  virtual bool owns_thread(const std::string& user_id, const std::string& thread_id) = 0;
};

// One file arriving over the socket (file_upload → file_chunk … → file_complete). Destroyed
// before complete() succeeded, it leaves no row and no bytes.
class HubUpload {
 public:
  virtual ~HubUpload() = default;
  // The next chunk's bytes; throws AppError past the announced size (or a limit).
  virtual void append(std::string_view bytes) = 0;
  // Records the file; its DeviceFile. Throws AppError when fewer bytes came than announced, or
  // as the HTTP upload would.
  virtual boost::json::object complete() = 0;
};

// The files feature, as the hub's file transfer uses it (API.md §8).
class HubFiles {
 public:
  virtual ~HubFiles() = default;
  // file_upload {deviceId, path, name, size, mimeType?, overwrite?}: checks ownership, path,
  // size and quota before any byte; throws AppError for what is refused.
  virtual std::unique_ptr<HubUpload> begin(const std::string& user_id,
                                           const boost::json::object& request) = 0;
};

struct HubSettings {
  std::chrono::milliseconds auth_timeout{10'000};
  std::size_t max_frame_bytes = 1 << 20;
  std::chrono::milliseconds upload_idle_timeout{60'000};  // then the upload is dropped
  std::size_t uploads_per_session = 4;                    // in progress at once
};

// Close codes beyond RFC 6455's (API.md §8).
inline constexpr int kCloseUnauthorized = 4001;

class HubSession;

class Hub {
 public:
  Hub(EventBus& bus, HubDirectory& directory, HubChat& chat, HubFiles& files, HubSettings settings);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // A session for an upgrade request; `token` from ?token=, if any.
  std::shared_ptr<http::WebSocketSession> accept(std::optional<std::string> token);
  const HubSettings& settings() const { return settings_; }

 private:
  friend class HubSession;
  struct UserChannel {
    EventBus::Subscription subscription;
    std::vector<std::weak_ptr<HubSession>> sessions;
  };
  void join(const std::string& user_id, const std::shared_ptr<HubSession>& session);
  void leave(const std::string& user_id, const HubSession* session);
  void deliver(const std::string& user_id, const SharedEvent& event);
  void sweep();

  EventBus& bus_;
  HubDirectory& directory_;
  HubChat& chat_;
  HubFiles& files_;
  const HubSettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, UserChannel> channels_;
  std::vector<std::weak_ptr<HubSession>> all_;  // for the sweeper: auth deadlines, expiries
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace karma::realtime
