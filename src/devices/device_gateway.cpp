#include "devices/device_gateway.hpp"

#include <boost/json/parse.hpp>

#include "core/app_error.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/log.hpp"
#include "devices/command_json.hpp"
#include "devices/device_json.hpp"

namespace karma::devices {

namespace bj = boost::json;

namespace {

// On the device's topic: a link opened, so links of the device elsewhere close (one live
// connection per device across instances, the newest).
constexpr std::string_view kLinkOpened = "device_link_opened";

std::string error_message(const char* code, std::string_view message) {
  return json::serialize(
      bj::object{{"type", "error"}, {"error", {{"code", code}, {"message", message}}}});
}

std::string error_message(const AppError& e) {
  bj::object error{{"code", code_name(e.code())}, {"message", e.what()}};
  if (!e.details().is_null()) error["details"] = e.details();
  return json::serialize(bj::object{{"type", "error"}, {"error", std::move(error)}});
}

}  // namespace

class DeviceLink final : public http::WebSocketSession,
                         public std::enable_shared_from_this<DeviceLink> {
 public:
  DeviceLink(DeviceGateway& gateway, std::string device_id, std::string token,
             std::uint64_t sequence)
      : gateway_(gateway),
        device_id_(std::move(device_id)),
        token_(std::move(token)),
        sequence_(sequence) {}

  std::uint64_t sequence() const { return sequence_; }

  // Another link of the device opened (on any instance): the older of the two closes.
  void opened_elsewhere(const bj::object& payload) {
    const auto* id = payload.if_contains("linkId");
    const auto* at = payload.if_contains("acceptedAt");
    if (!id || !id->is_string() || !at || !at->is_int64() || id->get_string() == link_id_) return;
    const bool newer = at->get_int64() > accepted_at_ ||
                       (at->get_int64() == accepted_at_ && id->get_string() > link_id_);
    if (newer) close("replaced by a newer connection");
  }

  void on_open(std::shared_ptr<http::WebSocketConnection> connection) override {
    {
      std::lock_guard lock(mutex_);
      connection_ = std::move(connection);
    }
    gateway_.attach(device_id_, shared_from_this());
    // New commands for the device, while this connection lives: delivered to whichever link
    // of the device is current. A link opened on another instance replaces this one.
    subscription_ =
        gateway_.bus_.subscribe(realtime::topics::device(device_id_),
                                [&gateway = gateway_, device_id = device_id_,
                                 self = weak_from_this()](const realtime::SharedEvent& event) {
                                  if (event->type == "device_command") gateway.deliver(device_id);
                                  if (event->type == kLinkOpened)
                                    if (auto link = self.lock())
                                      link->opened_elsewhere(event->payload);
                                });
    gateway_.bus_.publish(
        realtime::topics::device(device_id_),
        {std::string(kLinkOpened), {}, {{"linkId", link_id_}, {"acceptedAt", accepted_at_}}});
    gateway_.commands_.expire_overdue();
    gateway_.deliver(device_id_, true);
  }

  void on_message(std::string_view text) override {
    try {
      handle(json::parse_object(text));
    } catch (const AppError& e) {
      send(error_message(e));
    } catch (const db::DbError& e) {
      if (e.kind() == db::DbError::Kind::other)
        log::error("device message failed", {{"deviceId", device_id_}, {"error", e.what()}});
      send(error_message(db::app_error_of(e)));
    }
  }

  void on_close() override {
    subscription_.reset();
    gateway_.detach(device_id_, this);
  }

  void send(std::string text) {
    std::shared_ptr<http::WebSocketConnection> connection;
    {
      std::lock_guard lock(mutex_);
      connection = connection_;
    }
    if (connection) connection->send(std::move(text));
  }

  void close(std::string reason) {
    std::lock_guard lock(mutex_);
    if (connection_) connection_->close(std::move(reason));
  }

 private:
  void handle(const bj::object& message) {
    const DeviceMessage m = parse_device_message(message);
    if (m.type == "ping") return send(R"({"type":"pong"})");
    if (m.type == "heartbeat") {
      HeartbeatSender sender;
      sender.device_token = token_;
      gateway_.devices_.heartbeat(sender, device_id_, parse_heartbeat(message));
      return;
    }
    const bool applied = m.type == "ack"
                             ? gateway_.commands_.acknowledge(device_id_, m.command_id)
                             : gateway_.commands_.finish(device_id_, m.command_id, m.outcome);
    if (!applied) {
      send(error_message("CONFLICT",
                         "Command " + m.command_id + " is unknown, finished or expired"));
    }
  }

  DeviceGateway& gateway_;
  const std::string device_id_;
  const std::string token_;
  const std::uint64_t sequence_;
  const std::string link_id_ = crypto::uuid_v4();  // unique across instances
  const EpochMs accepted_at_ = now_ms();
  std::mutex mutex_;
  std::shared_ptr<http::WebSocketConnection> connection_;
  realtime::EventBus::Subscription subscription_;
};

DeviceGateway::DeviceGateway(DeviceService& devices, CommandService& commands,
                             realtime::EventBus& bus)
    : devices_(devices), commands_(commands), bus_(bus) {}

std::shared_ptr<http::WebSocketSession> DeviceGateway::accept(http::Request& request) {
  const std::string id = request.id_param("id", "Device");
  devices_.verify_token(id, request.device_token);
  std::uint64_t sequence = 0;
  {
    std::lock_guard lock(mutex_);
    sequence = ++accepted_;
  }
  return std::make_shared<DeviceLink>(*this, id, request.device_token, sequence);
}

void DeviceGateway::attach(const std::string& device_id, const std::shared_ptr<DeviceLink>& link) {
  // Links open in any order (their handshakes finish on different threads): the one accepted
  // last stays, whichever attaches first.
  std::shared_ptr<DeviceLink> stale;
  {
    std::lock_guard lock(mutex_);
    auto& slot = links_[device_id];
    auto current = slot.lock();
    if (current && current->sequence() > link->sequence()) {
      stale = link;  // a newer link attached first
    } else {
      if (current != link) stale = std::move(current);
      slot = link;
    }
  }
  if (stale) stale->close("replaced by a newer connection");
}

void DeviceGateway::detach(const std::string& device_id, const DeviceLink* link) {
  std::lock_guard lock(mutex_);
  auto it = links_.find(device_id);
  if (it != links_.end() && it->second.lock().get() == link) links_.erase(it);
}

void DeviceGateway::deliver(const std::string& device_id, bool resend) {
  std::shared_ptr<DeviceLink> link;
  {
    std::lock_guard lock(mutex_);
    auto it = links_.find(device_id);
    if (it != links_.end()) link = it->second.lock();
  }
  if (!link) return;  // connected elsewhere, or not at all: it gets them on connect
  for (const auto& command : commands_.take_queued(device_id, resend)) {
    link->send(
        json::serialize(bj::object{{"type", "command"}, {"command", command_json(command)}}));
  }
}

std::size_t DeviceGateway::connected() const {
  std::lock_guard lock(mutex_);
  return links_.size();
}

void mount_gateway_route(http::Router& router, DeviceGateway& gateway) {
  router
      .websocket("/api/devices/:id/connect",
                 [&gateway](http::Request& request) { return gateway.accept(request); },
                 {.guard = http::Guard::device})
      .describe({.operation_id = "connectDevice",
                 .summary = "The device gateway: a WebSocket for commands, acks and heartbeats",
                 .tag = "Devices",
                 .replies = {{101, nullptr, "Switching to the WebSocket protocol"}}});
}

}  // namespace karma::devices
