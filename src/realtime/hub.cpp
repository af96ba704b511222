#include "realtime/hub.hpp"

#include <algorithm>
#include <set>
#include <utility>
#include <variant>

#include <boost/json/parse.hpp>

#include "core/app_error.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace karma::realtime {

namespace bj = boost::json;

namespace {

// The topic an event belongs to: a run's chat_response its thread's (only sessions that
// subscribed to it get those); anything else the thing it is about, for muting, or the user's
// own topic.
std::string topic_of(const Event& e, const std::string& user_id) {
  const char* key_of_thread = e.type == kChatResponse ? "threadId" : "";
  for (const auto& [key, kind] :
       {std::pair{key_of_thread, "thread:"}, std::pair{"deviceId", "device:"},
        std::pair{"avatarId", "avatar:"}, std::pair{"projectId", "project:"}})
    if (const auto* id = e.payload.if_contains(key); id && id->is_string())
      return kind + std::string(id->get_string());
  return topics::user(user_id);
}

std::string_view string_at(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

bj::array topic_list(const std::vector<std::string>& topics) {
  bj::array out;
  for (const auto& t : topics) out.emplace_back(t);
  return out;
}

}  // namespace

// A run's contract events as `chat_response` messages of one session: each event's payload is
// the event plus threadId and runId; "[DONE]" ends nothing more than `done` already did.
class ChatSink final : public http::EventSink {
 public:
  using Deliver = std::function<bool(std::string_view type, bj::object payload)>;
  ChatSink(Deliver deliver, std::string thread_id, std::string run_id)
      : deliver_(std::move(deliver)),
        thread_id_(std::move(thread_id)),
        run_id_(std::move(run_id)) {}

  bool send(std::string_view data, std::string_view, std::string_view) override {
    if (closed()) return false;
    if (data == "[DONE]") return true;
    boost::system::error_code ec;
    bj::value event = bj::parse(data, ec);
    if (ec || !event.is_object()) return true;
    bj::object payload = std::move(event.as_object());
    payload["threadId"] = thread_id_;
    payload["runId"] = run_id_;
    if (!deliver_("chat_response", std::move(payload))) close();
    return !closed();
  }
  void close() override {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      callbacks.swap(callbacks_);
    }
    for (auto& callback : callbacks) callback();
  }
  bool closed() const override {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  void on_close(std::function<void()> callback) override {
    {
      std::lock_guard lock(mutex_);
      if (!closed_) return callbacks_.push_back(std::move(callback));
    }
    callback();
  }
  const std::string& run_id() const { return run_id_; }

 private:
  Deliver deliver_;
  const std::string thread_id_, run_id_;
  mutable std::mutex mutex_;
  bool closed_ = false;
  std::vector<std::function<void()>> callbacks_;
};

class HubSession final : public http::WebSocketSession,
                         public std::enable_shared_from_this<HubSession> {
 public:
  HubSession(Hub& hub, std::optional<std::string> token)
      : hub_(hub),
        token_(std::move(token)),
        auth_deadline_(now_ms() + hub.settings().auth_timeout.count()) {}

  void on_open(std::shared_ptr<http::WebSocketConnection> connection) override {
    {
      std::lock_guard lock(mutex_);
      connection_ = std::move(connection);
    }
    // The ?token= is needed once: an idle session should not keep it.
    if (auto token = std::exchange(token_, std::nullopt)) authenticate(*token, {});
  }

  void on_message(std::string_view text) override {
    auto parsed = hub::parse_client_message(text);
    if (auto* bad = std::get_if<hub::Malformed>(&parsed)) {
      reply("error", hub::error_payload(bad->code, bad->message, bad->reply_to));
      return;
    }
    const hub::ClientMessage& m = std::get<hub::ClientMessage>(parsed);
    if (m.type == "ping") {
      reply("pong", bj::object{{"replyTo", m.id}});
    } else if (m.type == "auth") {
      const auto* token = m.payload.if_contains("token");
      if (!token || !token->is_string() || token->get_string().empty())
        return refuse("a token is required");
      authenticate(std::string(token->get_string()), m.id);
    } else if (user().empty()) {
      reply("error", hub::error_payload("UNAUTHORIZED", "Authenticate first (auth {token})", m.id));
    } else if (m.type == "subscribe" || m.type == "unsubscribe") {
      change_topics(m, m.type == "subscribe");
    } else if (m.type == "chat_message" || m.type == "hitl_response") {
      run_agent(m);
    } else if (m.type == "file_upload") {
      begin_upload(m);
    } else if (m.type == "file_chunk" || m.type == "file_complete") {
      continue_upload(m);
    } else {
      reply("error", hub::unknown_type(m.type, m.id));
    }
  }

  void on_close() override {
    std::string user_id;
    std::vector<std::shared_ptr<ChatSink>> runs;
    Uploads uploads;  // dropped here (on a worker): an abandoned upload leaves nothing
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      user_id = user_id_;
      connection_.reset();
      runs.swap(runs_);
      uploads.swap(uploads_);
    }
    // Closing the socket cancels its runs, as a disconnect does for POST /api/agent.
    for (const auto& run : runs) run->close();
    if (!user_id.empty()) hub_.leave(user_id, this);
  }

  bool close_on_binary() const override { return true; }
  std::size_t max_frame_bytes() const override { return hub_.settings().max_frame_bytes; }
  std::string lagged_notice(std::size_t dropped) const override {
    return hub::server_message("lagged", bj::object{{"dropped", dropped}}, id_);
  }

  // An event of the session's user, already serialised for every session. A thread's
  // chat_response reaches the sessions subscribed to the thread, but not the one whose run it
  // is (that one has it already).
  void push(const Event& event, const std::string& topic,
            const std::shared_ptr<const std::string>& message) {
    std::lock_guard lock(mutex_);
    if (closed_ || !connection_ || user_id_.empty() || muted_.contains(topic)) return;
    if (event.type == kChatResponse) {
      if (!subscribed_.contains(topic)) return;
      const std::string_view run_id = string_at(event.payload, "runId");
      for (const auto& run : runs_)
        if (!run->closed() && run->run_id() == run_id) return;
    }
    connection_->send_shared(message);
  }

  // The user's credentials changed: auth_failed and 4001.
  void revoke(const std::string& why) { refuse(why); }

  // The sweeper's look: not authenticated in time, or its token expired; uploads gone idle.
  void check(EpochMs now) {
    std::string why;
    std::vector<std::string> idle;
    {
      std::lock_guard lock(mutex_);
      if (closed_ || refused_) return;
      if (user_id_.empty() && now >= auth_deadline_) why = "authentication timed out";
      if (!user_id_.empty() && now >= expires_at_) why = "token expired";
      const EpochMs cutoff = now - hub_.settings().upload_idle_timeout.count();
      for (const auto& [id, upload] : uploads_)
        if (upload->last_activity.load() < cutoff) idle.push_back(id);
    }
    for (const auto& id : idle)
      drop_upload(id,
                  hub::error_payload("TIMEOUT", "No chunk came in time: the upload is dropped", {}),
                  {});
    if (!why.empty()) refuse(why);
  }

 private:
  std::string user() {
    std::lock_guard lock(mutex_);
    return user_id_;
  }

  // False once the session is gone.
  bool reply(std::string_view type, bj::object payload) {
    std::lock_guard lock(mutex_);
    return reply_locked(type, std::move(payload));
  }
  bool reply_locked(std::string_view type, bj::object payload) {
    if (!connection_ || closed_) return false;
    connection_->send(hub::server_message(type, std::move(payload), id_));
    return true;
  }

  // auth_failed, then the close (4001) that tells the session manager why; once.
  void refuse(const std::string& error) {
    {
      std::lock_guard lock(mutex_);
      if (refused_ || closed_ || !connection_) return;
      refused_ = true;
    }
    reply("auth_failed", bj::object{{"error", error}});
    std::lock_guard lock(mutex_);
    if (connection_) connection_->close(kCloseUnauthorized, error);
  }

  void authenticate(const std::string& token, const std::string& reply_to) {
    const auto identity = hub_.directory_.identify(token);
    if (!identity) return refuse("invalid or expired token");
    bool first = false, another_user = false;
    {
      std::lock_guard lock(mutex_);
      if (!user_id_.empty() && user_id_ != identity->user_id) {
        another_user = true;  // changes nothing
      } else {
        first = user_id_.empty();
        user_id_ = identity->user_id;
        expires_at_ = identity->expires_at;  // a fresh token extends the session
      }
    }
    if (another_user) {
      reply("error",
            hub::error_payload("FORBIDDEN", "This session belongs to another user", reply_to));
      return;
    }
    if (first) hub_.join(identity->user_id, shared_from_this());
    bj::object payload{{"sessionId", id_}, {"userId", identity->user_id}};
    if (!reply_to.empty()) payload["replyTo"] = reply_to;
    reply("auth_success", std::move(payload));
  }

  // chat_message / hitl_response: a run of the agent, streamed back as chat_response messages.
  void run_agent(const hub::ClientMessage& m) {
    HubChat::Run run;
    try {
      run = m.type == "chat_message" ? hub_.chat_.chat(user(), m.payload)
                                     : hub_.chat_.answer(user(), m.payload);
    } catch (const AppError& e) {
      reply("error", hub::error_payload(code_name(e.code()), e.what(), m.id));
      return;
    }
    std::weak_ptr<HubSession> self = weak_from_this();
    auto sink = std::make_shared<ChatSink>(
        [self](std::string_view type, bj::object payload) {
          const auto session = self.lock();
          return session && session->reply(type, std::move(payload));
        },
        run.thread_id, run.run_id);
    {
      std::lock_guard lock(mutex_);
      std::erase_if(runs_, [](const auto& r) { return r->closed(); });
      runs_.push_back(sink);
    }
    run.start(std::move(sink));
  }

  struct Upload {
    std::unique_ptr<HubUpload> upload;
    std::int64_t next_seq = 0;
    std::atomic<EpochMs> last_activity{0};
  };
  using Uploads = std::map<std::string, std::shared_ptr<Upload>>;

  // file_upload: checked (ownership, path, size, quota) before any byte comes.
  void begin_upload(const hub::ClientMessage& m) {
    std::shared_ptr<Upload> upload;
    {
      std::lock_guard lock(mutex_);
      if (uploads_.size() >= hub_.settings().uploads_per_session) {
        const auto limit = static_cast<std::int64_t>(hub_.settings().uploads_per_session);
        reply_locked("error", hub::error_payload("RATE_LIMIT_EXCEEDED",
                                                 "At most " + std::to_string(limit) +
                                                     " uploads at once per session",
                                                 m.id));
        return;
      }
    }
    try {
      upload = std::make_shared<Upload>();
      upload->upload = hub_.files_.begin(user(), m.payload);
    } catch (const AppError& e) {
      reply("error", hub::error_payload(code_name(e.code()), e.what(), m.id));
      return;
    }
    upload->last_activity = now_ms();
    const std::string id = crypto::uuid_v4();
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;  // dropped with `upload`
      uploads_.emplace(id, upload);
    }
    reply("file_upload",
          bj::object{{"uploadId", id}, {"chunkSize", chunk_size()}, {"replyTo", m.id}});
  }

  // file_chunk {uploadId, seq, data} and file_complete {uploadId}. A bad chunk drops the upload.
  void continue_upload(const hub::ClientMessage& m) {
    const std::string id(string_at(m.payload, "uploadId"));
    std::shared_ptr<Upload> upload;
    {
      std::lock_guard lock(mutex_);
      if (const auto it = uploads_.find(id); it != uploads_.end()) upload = it->second;
    }
    if (!upload) {
      bj::object payload = hub::error_payload("NOT_FOUND", "No such upload in progress", m.id);
      payload["uploadId"] = id;
      reply("error", std::move(payload));
      return;
    }
    upload->last_activity = now_ms();
    try {
      if (m.type == "file_complete") {
        bj::object file = upload->upload->complete();
        forget_upload(id);
        reply("file_complete",
              bj::object{{"uploadId", id}, {"file", std::move(file)}, {"replyTo", m.id}});
        return;
      }
      const auto* seq = m.payload.if_contains("seq");
      if (!seq || !seq->is_int64() || seq->as_int64() != upload->next_seq)
        throw AppError::invalid(
            "seq", "chunks must come in order: expected seq " + std::to_string(upload->next_seq));
      std::string bytes;
      const auto* data = m.payload.if_contains("data");
      if (!data || !data->is_string() || !crypto::base64_decode(data->get_string(), bytes))
        throw AppError::invalid("data", "must be base64 (RFC 4648, padded)");
      if (bytes.size() > chunk_size())
        throw AppError::invalid("data", "carries more than chunkSize bytes");
      upload->upload->append(bytes);
      ++upload->next_seq;
    } catch (const AppError& e) {
      drop_upload(id, hub::error_payload(code_name(e.code()), e.what(), m.id), e.details());
    } catch (const std::exception& e) {
      log::error("hub upload failed", {{"uploadId", id}, {"error", e.what()}});
      drop_upload(id, hub::error_payload("INTERNAL_ERROR", "The upload failed", m.id), nullptr);
    }
  }

  // The most raw bytes one chunk may carry: base64 of it, in its envelope, fits the frame limit.
  std::size_t chunk_size() const {
    constexpr std::size_t kEnvelopeRoom = 1024;
    return (hub_.settings().max_frame_bytes - kEnvelopeRoom) / 4 * 3;
  }

  // Removes the upload from the session; destroying it drops its bytes.
  std::shared_ptr<Upload> forget_upload(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto it = uploads_.find(id);
    if (it == uploads_.end()) return nullptr;
    auto upload = std::move(it->second);
    uploads_.erase(it);
    return upload;
  }

  void drop_upload(const std::string& id, bj::object error, const bj::value& details) {
    if (!forget_upload(id)) return;
    error["uploadId"] = id;
    if (!details.is_null()) error["details"] = details;
    reply("error", std::move(error));
  }

  void change_topics(const hub::ClientMessage& m, bool subscribe) {
    const auto* list = m.payload.if_contains("topics");
    if (!list || !list->is_array() || list->get_array().empty() || list->get_array().size() > 100) {
      reply("error", hub::error_payload("VALIDATION_ERROR",
                                        "topics must be an array of 1 to 100 topic names", m.id));
      return;
    }
    const std::string user_id = user();
    for (const auto& entry : list->get_array()) {
      const std::string name = entry.is_string() ? std::string(entry.get_string()) : std::string();
      const auto topic = hub::parse_topic(name);
      // Judged one by one; something that does not exist is refused as what may not be seen.
      const bool allowed =
          topic && (topic->kind == "user"     ? topic->id == user_id
                    : topic->kind == "thread" ? hub_.chat_.owns_thread(user_id, topic->id)
                                              : hub_.directory_.may_see(user_id, *topic));
      if (subscribe && !allowed) {
        reply("error", hub::forbidden_topic(name, m.id));
        continue;
      }
      if (!topic) continue;  // nothing to stop
      std::lock_guard lock(mutex_);
      if (subscribe) {
        muted_.erase(name);
        if (topic->kind != "user") subscribed_.insert(name);
      } else {
        muted_.insert(name);
        subscribed_.erase(name);
      }
    }
    std::vector<std::string> now;
    {
      std::lock_guard lock(mutex_);
      if (!muted_.contains(topics::user(user_id))) now.push_back(topics::user(user_id));
      now.insert(now.end(), subscribed_.begin(), subscribed_.end());
    }
    reply("subscribed", bj::object{{"topics", topic_list(now)}, {"replyTo", m.id}});
  }

  Hub& hub_;
  const std::string id_ = crypto::uuid_v4();
  std::optional<std::string> token_;  // from ?token=, until on_open
  const EpochMs auth_deadline_;
  std::mutex mutex_;
  std::shared_ptr<http::WebSocketConnection> connection_;
  std::string user_id_;  // empty until authenticated
  EpochMs expires_at_ = 0;
  std::set<std::string> subscribed_;             // asked for explicitly
  std::set<std::string> muted_;                  // unsubscribed
  std::vector<std::shared_ptr<ChatSink>> runs_;  // the agent runs this session started
  Uploads uploads_;                              // by uploadId
  bool closed_ = false;
  bool refused_ = false;
};

Hub::Hub(EventBus& bus, HubDirectory& directory, HubChat& chat, HubFiles& files,
         HubSettings settings)
    : bus_(bus),
      directory_(directory),
      chat_(chat),
      files_(files),
      settings_(settings),
      sweeper_([this] { sweep(); }) {}

Hub::~Hub() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  sweeper_.join();
}

std::shared_ptr<http::WebSocketSession> Hub::accept(std::optional<std::string> token) {
  auto session = std::make_shared<HubSession>(*this, std::move(token));
  std::lock_guard lock(mutex_);
  all_.push_back(session);
  return session;
}

void Hub::join(const std::string& user_id, const std::shared_ptr<HubSession>& session) {
  std::lock_guard lock(mutex_);
  UserChannel& channel = channels_[user_id];
  channel.sessions.push_back(session);
  if (channel.sessions.size() == 1)
    channel.subscription =
        bus_.subscribe(topics::user(user_id),
                       [this, user_id](const SharedEvent& event) { deliver(user_id, event); });
}

void Hub::leave(const std::string& user_id, const HubSession* session) {
  EventBus::Subscription last;  // released outside the lock
  std::lock_guard lock(mutex_);
  const auto it = channels_.find(user_id);
  if (it == channels_.end()) return;
  std::erase_if(it->second.sessions, [&](const std::weak_ptr<HubSession>& s) {
    const auto live = s.lock();
    return !live || live.get() == session;
  });
  if (it->second.sessions.empty()) {
    last = std::move(it->second.subscription);
    channels_.erase(it);
  }
}

void Hub::deliver(const std::string& user_id, const SharedEvent& event) {
  std::vector<std::shared_ptr<HubSession>> targets;
  {
    std::lock_guard lock(mutex_);
    const auto it = channels_.find(user_id);
    if (it == channels_.end()) return;
    for (const auto& s : it->second.sessions)
      if (auto live = s.lock()) targets.push_back(std::move(live));
  }
  if (targets.empty()) return;
  if (event->type == kSessionRevoked) {
    const auto* reason = event->payload.if_contains("reason");
    const std::string why = reason && reason->is_string() ? std::string(reason->get_string())
                                                          : std::string("session revoked");
    for (const auto& session : targets) session->revoke(why);
    return;
  }
  // Serialised once for every session of the user (pushes carry no sessionId).
  const auto message =
      std::make_shared<const std::string>(hub::server_message(event->type, event->payload));
  const std::string topic = topic_of(*event, user_id);
  for (const auto& session : targets) session->push(*event, topic, message);
}

void Hub::sweep() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(250));
    if (stopping_) break;
    std::vector<std::shared_ptr<HubSession>> live;
    std::erase_if(all_, [](const auto& s) { return s.expired(); });
    for (const auto& s : all_)
      if (auto session = s.lock()) live.push_back(std::move(session));
    lock.unlock();
    const EpochMs now = now_ms();
    for (const auto& session : live) session->check(now);
    live.clear();
    lock.lock();
  }
}

}  // namespace karma::realtime
