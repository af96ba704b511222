// Device commands over REST and their lifecycle (API.md §2), on SQLite and PostgreSQL.
#include <boost/json.hpp>

#include <chrono>
#include <thread>

#include "core/crypto.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

class CommandsTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    owner = register_account(client());
    const auto r =
        post("/api/devices", {{"name", "Box"},
                              {"model", "EOS-3A"},
                              {"serialNumber", "CMD-" + crypto::hex(crypto::random_bytes(6))},
                              {"mac", "02:00:00:00:00:aa"}});
    ASSERT_EQ(r.status, 201) << r.body;
    device_id = std::string(r.json().at("data").at("device").at("id").as_string());
    base = "/api/devices/" + device_id + "/commands";
  }
  ClientResponse post(const std::string& path, const bj::object& payload,
                      const Account* as = nullptr) {
    return client().request("POST", path, body(payload), bearer((as ? *as : owner).access_token));
  }
  ClientResponse get(const std::string& path, const Account* as = nullptr) {
    return client().request("GET", path, {}, bearer((as ? *as : owner).access_token));
  }
  std::string queue(const bj::object& payload) {
    const auto r = post(base, payload);
    EXPECT_EQ(r.status, 202) << r.body;
    return std::string(r.json().at("data").at("command").at("id").as_string());
  }
  std::string status_of(const std::string& id) {
    return std::string(get(base + "/" + id).json().at("data").at("status").as_string());
  }

  Account owner;
  std::string device_id;
  std::string base;
};

TEST_P(CommandsTest, QueueingReturns202WithTheCommand) {
  const auto before = now_ms();
  const auto r =
      post(base, {{"command", "update_firmware"},
                  {"params", {{"version", "2.0.1"}, {"url", "https://fw.example/2.0.1"}}},
                  {"timeoutMs", 60000}});
  ASSERT_EQ(r.status, 202) << r.body;
  const auto c = r.json().at("data").at("command");
  EXPECT_TRUE(crypto::is_uuid(c.at("id").as_string()));
  EXPECT_EQ(c.at("deviceId"), device_id.c_str());
  EXPECT_EQ(c.at("command"), "update_firmware");
  EXPECT_EQ(c.at("params").at("version"), "2.0.1");
  EXPECT_EQ(c.at("status"), "queued");
  EXPECT_GE(c.at("createdAt").as_int64(), before);
  EXPECT_EQ(c.at("expiresAt").as_int64(), c.at("createdAt").as_int64() + 60000);
  EXPECT_FALSE(c.as_object().contains("result"));

  const auto one = get(base + "/" + std::string(c.at("id").as_string()));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("data"), c);
}

TEST_P(CommandsTest, EveryCommandIsValidatedByItsType) {
  const std::vector<std::pair<bj::object, std::string>> bad = {
      {{{"command", "self_destruct"}}, "command"},
      {{}, "command"},
      {{{"command", "reboot"}, {"params", "now"}}, "params"},
      {{{"command", "reboot"}, {"timeoutMs", 10}}, "timeoutMs"},
      {{{"command", "reboot"}, {"timeoutMs", "soon"}}, "timeoutMs"},
      {{{"command", "update_firmware"}}, "params"},
      {{{"command", "update_firmware"}, {"params", bj::object{}}}, "params.version"},
      {{{"command", "update_firmware"}, {"params", {{"version", "2"}, {"url", "ftp://x"}}}},
       "params.url"},
      {{{"command", "run_task"}, {"params", {{"taskId", "42"}}}}, "params.taskId"},
      {{{"command", "set_config"}}, "params"},
      {{{"command", "set_config"}, {"params", bj::object{}}}, "params"},
  };
  for (const auto& [payload, field] : bad) {
    const auto r = post(base, payload);
    EXPECT_EQ(r.status, 400) << body(payload);
    EXPECT_EQ(r.json().at("error").at("details").at("field"), field.c_str()) << r.body;
  }
  for (const auto& ok : std::vector<bj::object>{
           {{"command", "reboot"}},
           {{"command", "shutdown"}, {"params", bj::object{}}},
           {{"command", "set_config"}, {"params", {{"logLevel", "debug"}}}},
           {{"command", "run_task"}, {"params", {{"taskId", crypto::uuid_v4()}}}},
           {{"command", "sync_files"}},
           {{"command", "ping"}}}) {
    EXPECT_EQ(post(base, ok).status, 202) << body(ok);
  }
  EXPECT_EQ(get(base).json().at("data").at("total"), 6);
}

TEST_P(CommandsTest, ListIsNewestFirstAndPaged) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(queue({{"command", "ping"}}));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const auto page = get(base + "?page=1&pageSize=2").json().at("data");
  EXPECT_EQ(page.at("total"), 3);
  EXPECT_EQ(page.at("pageSize"), 2);
  ASSERT_EQ(page.at("commands").as_array().size(), 2u);
  EXPECT_EQ(page.at("commands").at(0).at("id"), ids[2].c_str());
  EXPECT_EQ(get(base + "?page=2&pageSize=2").json().at("data").at("commands").at(0).at("id"),
            ids[0].c_str());
  EXPECT_EQ(get(base + "?pageSize=0").status, 400);
}

TEST_P(CommandsTest, LifecycleMovesOnlyForward) {
  auto& commands = server().app->commands();
  const std::string id = queue({{"command", "reboot"}});
  EXPECT_FALSE(commands.finish(crypto::uuid_v4(), id, {"succeeded", {}, {}}))
      << "another device cannot report it";
  const auto taken = commands.take_queued(device_id);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id, id);
  EXPECT_TRUE(commands.take_queued(device_id).empty()) << "delivered once";
  EXPECT_EQ(status_of(id), "sent");
  // A connection that died before the ack: the next one gets the command again, same id.
  const auto resent = commands.take_queued(device_id, true);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].id, id);
  EXPECT_TRUE(commands.acknowledge(device_id, id));
  EXPECT_TRUE(commands.take_queued(device_id, true).empty()) << "acknowledged: never again";
  EXPECT_EQ(status_of(id), "acked");
  EXPECT_TRUE(
      commands.finish(device_id, id, {"failed", bj::value(bj::object{{"code", 7}}), "disk full"}));
  const auto done = get(base + "/" + id).json().at("data");
  EXPECT_EQ(done.at("status"), "failed");
  EXPECT_EQ(done.at("error"), "disk full");
  EXPECT_EQ(done.at("result").at("code"), 7);
  EXPECT_FALSE(commands.acknowledge(device_id, id));
  EXPECT_FALSE(commands.finish(device_id, id, {"succeeded", {}, {}}));
  EXPECT_EQ(status_of(id), "failed");
}

TEST_P(CommandsTest, OverdueCommandsExpire) {
  const std::string id = queue({{"command", "reboot"}, {"timeoutMs", 1000}});
  server().app->database().query("UPDATE device_commands SET expires_at = $1 WHERE id = $2",
                                 {db::Timestamp{now_ms() - 1}, id});
  EXPECT_TRUE(server().app->commands().take_queued(device_id).empty()) << "never delivered late";
  EXPECT_GE(server().app->commands().expire_overdue(), 1);
  EXPECT_EQ(status_of(id), "expired");
  EXPECT_FALSE(server().app->commands().acknowledge(device_id, id));
}

TEST_P(CommandsTest, AnotherUsersDeviceAndCommandsAreNotFound) {
  const std::string id = queue({{"command", "reboot"}});
  const Account intruder = register_account(client());
  EXPECT_EQ(post(base, {{"command", "reboot"}}, &intruder).status, 404);
  EXPECT_EQ(get(base, &intruder).status, 404);
  EXPECT_EQ(get(base + "/" + id, &intruder).status, 404);
  EXPECT_EQ(get(base + "/" + crypto::uuid_v4()).status, 404);
  EXPECT_EQ(get(base + "/not-a-uuid").status, 404);
  EXPECT_EQ(get(base).json().at("data").at("total"), 1) << "the intruder queued nothing";
}

INSTANTIATE_TEST_SUITE_P(Backends, CommandsTest, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace karma::testing
