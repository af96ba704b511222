// The hub without a network: sessions on fake connections, events on the in-process bus.
#include "realtime/hub.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/app_error.hpp"

namespace karma::realtime {
namespace {

namespace bj = boost::json;

class RecordingConnection final : public http::WebSocketConnection {
 public:
  void send(std::string text) override { shared.push_back(std::make_shared<std::string>(text)); }
  void send_shared(std::shared_ptr<const std::string> text) override {
    shared.push_back(std::move(text));
  }
  void close(std::string) override { close_code = 1000; }
  void close(int code, std::string) override { close_code = code; }
  bj::object message(std::size_t i) const { return bj::parse(*shared.at(i)).as_object(); }
  std::vector<std::shared_ptr<const std::string>> shared;
  int close_code = 0;
};

// Every token "token-<user>" is <user>'s; nothing else is visible.
class Directory final : public HubDirectory {
 public:
  std::optional<Identity> identify(std::string_view token) override {
    if (!token.starts_with("token-")) return std::nullopt;
    return Identity{std::string(token.substr(6)), now_ms() + 60'000};
  }
  bool may_see(const std::string&, const hub::Topic&) override { return false; }
};

class NoAgent final : public HubChat {
 public:
  Run chat(const std::string&, const bj::object&) override { throw AppError::not_found("Agent"); }
  Run answer(const std::string&, const bj::object&) override { throw AppError::not_found("Agent"); }
  bool owns_thread(const std::string&, const std::string&) override { return false; }
};

class NoFiles final : public HubFiles {
 public:
  std::unique_ptr<HubUpload> begin(const std::string&, const bj::object&) override {
    throw AppError::not_found("Device");
  }
};

struct HubFixture : ::testing::Test {
  std::unique_ptr<EventBus> bus = make_local_event_bus();
  Directory directory;
  NoAgent chat;
  NoFiles files;
  Hub hub{*bus, directory, chat, files, HubSettings{}};

  std::pair<std::shared_ptr<http::WebSocketSession>, std::shared_ptr<RecordingConnection>> session(
      const std::string& user) {
    auto s = hub.accept("token-" + user);
    auto c = std::make_shared<RecordingConnection>();
    s->on_open(c);
    EXPECT_EQ(c->message(0).at("type"), "auth_success");
    return {s, c};
  }
};

// One event for a user's sessions is serialised once: each session queues the same buffer.
TEST_F(HubFixture, AnEventFansOutAsOneSharedBuffer) {
  auto [a, ca] = session("ann");
  auto [b, cb] = session("ann");
  auto [x, cx] = session("bob");
  bus->publish(topics::user("ann"),
               {"device_status", "ann", {{"deviceId", "d1"}, {"status", "online"}}});
  ASSERT_EQ(ca->shared.size(), 2u);
  ASSERT_EQ(cb->shared.size(), 2u);
  EXPECT_EQ(ca->shared[1].get(), cb->shared[1].get()) << "one serialisation, shared";
  EXPECT_EQ(ca->message(1).at("type"), "device_status");
  EXPECT_EQ(cx->shared.size(), 1u) << "another user's event";
  for (auto* s : {a.get(), b.get(), x.get()}) s->on_close();
}

// A session that fell behind: its last message says how much it lost, in the envelope.
TEST_F(HubFixture, TheLagNoticeCarriesTheDroppedCountInTheEnvelope) {
  auto [s, c] = session("ann");
  const bj::object notice = bj::parse(s->lagged_notice(42)).as_object();
  EXPECT_EQ(notice.at("type"), "lagged");
  EXPECT_EQ(notice.at("payload").at("dropped"), 42);
  EXPECT_EQ(notice.at("sessionId"), c->message(0).at("payload").at("sessionId"));
  EXPECT_EQ(notice.at("id").as_string().size(), 36u);
  s->on_close();
}

}  // namespace
}  // namespace karma::realtime
