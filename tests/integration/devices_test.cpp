// API.md §2 (registry, tokens, heartbeats, metrics, offline detection) on SQLite and PostgreSQL.
#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/crypto.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

std::string unique_serial() {
  return "SN-" + crypto::hex(crypto::random_bytes(6));
}

bj::object device_body(const std::string& serial = unique_serial()) {
  return {{"name", "Edge Box"},
          {"model", "EOS-3B"},
          {"serialNumber", serial},
          {"mac", "aa:bb:cc:00:11:22"}};
}

bj::object heartbeat_body(const std::string& status = "online", double cpu = 12.5) {
  return {{"status", status},
          {"metrics",
           {{"cpuUsage", cpu},
            {"memoryUsage", 40},
            {"diskUsage", 70},
            {"temperature", 55},
            {"uptime", 1234}}},
          {"timestamp", now_ms()}};
}

std::vector<http::Header> device_auth(const std::string& token) {
  return {{"authorization", "Device " + token}};
}

struct Device {
  std::string id;
  std::string token;
  bj::object json;
};

class DevicesTest : public OwnerTest {
 protected:
  Device create(const bj::object& payload = device_body(), const Account* as = nullptr) {
    const auto r = call("POST", "/api/devices", body(payload), as);
    EXPECT_EQ(r.status, 201) << r.body;
    const auto data = r.json().at("data");
    return {std::string(data.at("device").at("id").as_string()),
            std::string(data.at("deviceToken").as_string()), data.at("device").as_object()};
  }

  ClientResponse beat(const Device& d, const bj::object& payload = heartbeat_body()) {
    return client().request("POST", "/api/devices/" + d.id + "/heartbeat", body(payload),
                            device_auth(d.token));
  }
};

TEST_P(DevicesTest, CreateAppliesDefaultsAndReturnsTheTokenOnce) {
  auto payload = device_body();
  payload["mac"] = "aa-bb-cc-dd-ee-0f";
  payload["ip"] = "2001:db8::1";
  payload["tags"] = bj::array{"lab", "edge", "lab"};
  payload["location"] = {{"latitude", 52.5}, {"longitude", 13.4}, {"address", "Berlin"}};
  payload["status"] = "online";  // not settable: ignored like any unknown field
  const Device d = create(payload);
  const auto& j = d.json;
  EXPECT_TRUE(crypto::is_uuid(j.at("id").as_string()));
  EXPECT_EQ(j.at("status"), "offline");
  EXPECT_EQ(j.at("firmwareVersion"), "1.0.0");
  EXPECT_EQ(j.at("mac"), "AA:BB:CC:DD:EE:0F");
  EXPECT_EQ(j.at("ip"), "2001:db8::1");
  EXPECT_TRUE(j.at("lastHeartbeat").is_null());
  EXPECT_EQ(
      j.at("capabilities"),
      bj::parse(
          R"({"aiComputing":false,"videoProcessing":false,"storage":false,"networking":false})"));
  EXPECT_EQ(j.at("hardware"), bj::parse(R"({"cpu":"Unknown","memory":0,"storage":0})"));
  EXPECT_EQ(j.at("network"), bj::parse(R"({"type":"ethernet"})"));
  EXPECT_EQ(j.at("tags"), bj::parse(R"(["lab","edge"])"));
  EXPECT_EQ(j.at("location").at("address"), "Berlin");
  EXPECT_TRUE(j.at("createdAt").is_int64());
  EXPECT_TRUE(d.token.starts_with("kdt_"));
  // The token is never shown again.
  const auto again = call("GET", "/api/devices/" + d.id);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.body.find(d.token), std::string::npos);
  EXPECT_EQ(again.json().at("data").at("id"), d.id.c_str());
  // Defaults without optional fields: no location key, empty ip and tags.
  const Device plain = create();
  EXPECT_FALSE(plain.json.contains("location"));
  EXPECT_EQ(plain.json.at("ip"), "");
  EXPECT_TRUE(plain.json.at("tags").as_array().empty());
}

TEST_P(DevicesTest, CreateValidatesEveryField) {
  struct Case {
    std::string field;
    bj::value value;
  };
  std::vector<Case> cases;
  const auto add = [&cases](std::string field, bj::value value) {
    cases.push_back({std::move(field), std::move(value)});
  };
  add("name", bj::value(""));
  add("name", bj::value(std::string(101, 'n')));
  add("name", bj::value(42));
  add("model", bj::value("EOS-4"));
  add("serialNumber", bj::value("has spaces"));
  add("serialNumber", bj::value(std::string(65, 's')));
  add("mac", bj::value("AA:BB:CC:DD:EE"));
  add("mac", bj::value("GG:BB:CC:DD:EE:FF"));
  add("mac", bj::value("AA:BB-CC:DD:EE:FF"));
  add("ip", bj::value("300.1.1.1"));
  add("ip", bj::value("not-an-ip"));
  add("location", bj::value("Berlin"));
  add("location.latitude", bj::value(91));
  add("location.longitude", bj::value(-181));
  add("tags", bj::value("lab"));
  bj::array long_tag;
  long_tag.emplace_back(std::string(33, 't'));
  add("tags[0]", long_tag);
  bj::array object_tag;
  object_tag.emplace_back(bj::object{{"x", 1}});
  add("tags[0]", object_tag);
  for (const auto& c : cases) {
    auto payload = device_body();
    const std::string& field = c.field;
    if (field == "location.latitude")
      payload["location"] = {{"latitude", c.value}, {"longitude", 0}};
    else if (field == "location.longitude")
      payload["location"] = {{"latitude", 0}, {"longitude", c.value}};
    else if (field == "tags[0]")
      payload["tags"] = c.value;
    else
      payload[field] = c.value;
    const auto r = call("POST", "/api/devices", body(payload));
    EXPECT_EQ(r.status, 400) << field << " " << r.body;
    EXPECT_EQ(r.json().at("error").at("details").at("field"), field.c_str()) << r.body;
  }
  bj::array many;
  for (int i = 0; i < 10000; ++i) many.emplace_back("t");
  auto payload = device_body();
  payload["tags"] = many;
  EXPECT_EQ(call("POST", "/api/devices", body(payload)).status, 400);
  payload = device_body();
  payload["name"] = std::string(1024 * 1024, 'n');
  EXPECT_EQ(call("POST", "/api/devices", body(payload)).status, 413);
  // Nothing was half-written.
  EXPECT_EQ(call("GET", "/api/devices").json().at("data").at("total"), 0);
}

TEST_P(DevicesTest, SerialNumbersAreUniqueAcrossUsers) {
  const std::string serial = unique_serial();
  create(device_body(serial));
  const Account other = register_account(client());
  const auto r = call("POST", "/api/devices", body(device_body(serial)), &other);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error_code(r), "CONFLICT");
  EXPECT_EQ(r.json().at("error").at("details").at("field"), "serialNumber");
}

TEST_P(DevicesTest, ListFiltersSortsAndPages) {
  const char* names[] = {"alpha", "Bravo", "charlie", "delta", "echo"};
  std::vector<Device> made;
  for (int i = 0; i < 5; ++i) {
    auto payload = device_body();
    payload["name"] = names[i];
    payload["model"] = i % 2 ? "EOS-3A" : "EOS-3C";
    payload["tags"] = i < 2 ? bj::array{"lab"} : bj::array{"field"};
    made.push_back(create(payload));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // distinct createdAt
  }
  ASSERT_EQ(beat(made[3]).status, 200);  // delta goes online
  const Account other = register_account(client());
  create(device_body(), &other);  // never visible to owner

  auto list = [&](const std::string& query) {
    const auto r = call("GET", "/api/devices" + query);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    return r.json().at("data");
  };
  auto names_of = [](const bj::value& data) {
    std::vector<std::string> out;
    for (const auto& d : data.at("devices").as_array()) out.emplace_back(d.at("name").as_string());
    return out;
  };
  auto all = list("");
  EXPECT_EQ(all.at("total"), 5);
  EXPECT_EQ(all.at("page"), 1);
  EXPECT_EQ(all.at("pageSize"), 20);
  EXPECT_EQ(names_of(all),
            (std::vector<std::string>{"echo", "delta", "charlie", "Bravo", "alpha"}));
  EXPECT_EQ(names_of(list("?sort=name&order=asc")),
            (std::vector<std::string>{"alpha", "Bravo", "charlie", "delta", "echo"}));
  EXPECT_EQ(names_of(list("?status=online")), std::vector<std::string>{"delta"});
  EXPECT_EQ(names_of(list("?model=EOS-3A&order=asc")),
            (std::vector<std::string>{"Bravo", "delta"}));
  EXPECT_EQ(names_of(list("?tag=lab&sort=name&order=asc")),
            (std::vector<std::string>{"alpha", "Bravo"}));
  EXPECT_EQ(names_of(list("?q=HAR")), std::vector<std::string>{"charlie"});
  EXPECT_EQ(list("?q=" + std::string(made[0].json.at("serialNumber").as_string())).at("total"), 1);
  EXPECT_EQ(list("?q=%25").at("total"), 0) << "LIKE wildcards are literal";
  EXPECT_EQ(names_of(list("?sort=lastHeartbeat"))[0], "delta");

  auto page2 = list("?page=2&pageSize=2&sort=name&order=asc");
  EXPECT_EQ(page2.at("total"), 5);
  EXPECT_EQ(page2.at("page"), 2);
  EXPECT_EQ(page2.at("pageSize"), 2);
  EXPECT_EQ(names_of(page2),
            (std::vector<std::string>{"charlie", "delta"}));  // alpha Bravo | charlie delta
  EXPECT_EQ(list("?page=3&page_size=2").at("devices").as_array().size(), 1u);
  auto beyond = list("?page=9&pageSize=2");
  EXPECT_TRUE(beyond.at("devices").as_array().empty());
  EXPECT_EQ(beyond.at("total"), 5);

  for (const char* bad : {"?page=0", "?pageSize=101", "?pageSize=abc", "?sort=serial", "?order=up",
                          "?status=sleeping", "?model=EOS-9", "?page=1e3"}) {
    const auto r = call("GET", std::string("/api/devices") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(error_code(r), "VALIDATION_ERROR") << bad;
  }
}

TEST_P(DevicesTest, UpdateAndDelete) {
  auto payload = device_body();
  payload["location"] = {{"latitude", 1}, {"longitude", 2}};
  const Device d = create(payload);
  auto r = call("PUT", "/api/devices/" + d.id,
                body({{"name", "Renamed"}, {"tags", bj::array{"a", "b"}}, {"model", "EOS-3A"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json().at("data");
  EXPECT_EQ(j.at("name"), "Renamed");
  EXPECT_EQ(j.at("tags"), bj::parse(R"(["a","b"])"));
  EXPECT_EQ(j.at("model"), "EOS-3B") << "model is not editable";
  EXPECT_EQ(j.at("location").at("latitude"), 1);
  EXPECT_GE(j.at("updatedAt").as_int64(), j.at("createdAt").as_int64());

  r = call("PATCH", "/api/v1/devices/" + d.id, body({{"location", nullptr}}));
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.json().at("data").as_object().contains("location"));
  EXPECT_EQ(r.json().at("data").at("name"), "Renamed");

  EXPECT_EQ(call("PUT", "/api/devices/" + d.id, body({{"name", ""}})).status, 400);
  EXPECT_EQ(call("PUT", "/api/devices/" + d.id,
                 body({{"location", {{"latitude", 100}, {"longitude", 0}}}}))
                .status,
            400);
  EXPECT_EQ(call("GET", "/api/devices/" + d.id).json().at("data").at("name"), "Renamed");

  r = call("DELETE", "/api/devices/" + d.id);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.json().at("data").is_null());
  EXPECT_EQ(call("GET", "/api/devices/" + d.id).status, 404);
  EXPECT_EQ(call("DELETE", "/api/devices/" + d.id).status, 404);
  EXPECT_EQ(beat(d).status, 401) << "a deleted device's token is gone with it";
}

TEST_P(DevicesTest, AnotherUsersDeviceIsNotFoundOnEveryRoute) {
  const Device mine = create();
  const Account intruder = register_account(client());
  const std::string base = "/api/devices/" + mine.id;
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", base},
      {"PUT", base},
      {"PATCH", base},
      {"DELETE", base},
      {"POST", base + "/token"},
      {"GET", base + "/metrics"},
      {"POST", base + "/heartbeat"},
  };
  for (const auto& [method, path] : routes) {
    const std::string payload = path.ends_with("heartbeat")            ? body(heartbeat_body())
                                : method == "PUT" || method == "PATCH" ? body({{"name", "pwned"}})
                                                                       : "";
    const auto r = call(method, path, payload, &intruder);
    EXPECT_EQ(r.status, 404) << method << " " << path << " " << r.body;
    EXPECT_EQ(error_code(r), "NOT_FOUND");
    // Malformed ids are just as unknown.
    const std::string bad = path;
    const auto m =
        call(method, std::string(bad).replace(bad.find(mine.id), mine.id.size(), "1%27%20OR%201=1"),
             payload, &intruder);
    EXPECT_EQ(m.status, 404) << method << " " << path;
  }
  const auto after = call("GET", base).json().at("data");
  EXPECT_EQ(after.at("name"), "Edge Box");
  EXPECT_EQ(after.at("status"), "offline");
  EXPECT_EQ(beat(mine).status, 200) << "the token still works";
  EXPECT_EQ(call("GET", "/api/devices", {}, &intruder).json().at("data").at("total"), 0);
}

TEST_P(DevicesTest, TokenRotationRevokesTheOldToken) {
  const Device d = create();
  const auto r = call("POST", "/api/devices/" + d.id + "/token");
  ASSERT_EQ(r.status, 200);
  const std::string fresh(r.json().at("data").at("deviceToken").as_string());
  EXPECT_NE(fresh, d.token);
  EXPECT_EQ(beat(d).status, 401);
  EXPECT_EQ(beat(Device{d.id, fresh, {}}).status, 200);
}

TEST_P(DevicesTest, HeartbeatUpdatesStateAndStoresASample) {
  const Device d = create();
  auto payload = heartbeat_body("online", 33.5);
  payload["firmwareVersion"] = "2.1.0";
  payload["ip"] = "192.168.1.20";
  payload["hardware"] = {{"cpu", "ARM A78"}, {"memory", 16}, {"future", "ignored"}};
  payload["capabilities"] = {{"aiComputing", true}};
  payload["network"] = {{"type", "wifi"}, {"signalStrength", -60}};
  const auto before = now_ms();
  const auto r = beat(d, payload);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto dev = r.json().at("data").at("device");
  EXPECT_EQ(dev.at("status"), "online");
  EXPECT_GE(dev.at("lastHeartbeat").as_int64(), before);
  EXPECT_EQ(dev.at("firmwareVersion"), "2.1.0");
  EXPECT_EQ(dev.at("ip"), "192.168.1.20");
  EXPECT_EQ(dev.at("hardware"), bj::parse(R"({"cpu":"ARM A78","memory":16,"storage":0})"));
  EXPECT_EQ(dev.at("capabilities").at("aiComputing"), true);
  EXPECT_EQ(dev.at("capabilities").at("storage"), false);
  EXPECT_EQ(dev.at("network"), bj::parse(R"({"type":"wifi","signalStrength":-60})"));

  const auto m = call("GET", "/api/devices/" + d.id + "/metrics");
  ASSERT_EQ(m.status, 200);
  const auto samples = m.json().at("data").at("samples").as_array();
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].at("cpuUsage"), 33.5);
  EXPECT_EQ(samples[0].at("uptime"), 1234);
  EXPECT_EQ(samples[0].at("timestamp"), dev.at("lastHeartbeat"));
}

TEST_P(DevicesTest, OwnerMayReportAHeartbeatWithTheirToken) {
  const Device d = create();
  const auto r = client().request("POST", "/api/devices/" + d.id + "/heartbeat",
                                  body(heartbeat_body("error")), bearer(owner.access_token));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("data").at("device").at("status"), "error");
}

TEST_P(DevicesTest, HeartbeatRejectsBadCredentialsAndBadBodiesWithoutWriting) {
  const Device d = create();
  const Device other = create();
  const std::string path = "/api/devices/" + d.id + "/heartbeat";
  EXPECT_EQ(client().request("POST", path, body(heartbeat_body())).status, 401);
  EXPECT_EQ(
      client().request("POST", path, body(heartbeat_body()), device_auth("kdt_forged")).status,
      401);
  EXPECT_EQ(client().request("POST", path, body(heartbeat_body()), device_auth(other.token)).status,
            401)
      << "a token only speaks for its own device";
  EXPECT_EQ(client()
                .request("POST", "/api/devices/" + crypto::uuid_v4() + "/heartbeat",
                         body(heartbeat_body()), device_auth(d.token))
                .status,
            401);

  std::vector<bj::object> bad;
  bad.push_back({{"status", "sleeping"}, {"metrics", heartbeat_body().at("metrics")}});
  bad.push_back({{"status", "online"}});
  auto b = heartbeat_body();
  b["metrics"].as_object()["cpuUsage"] = 150;
  bad.push_back(b);
  b = heartbeat_body();
  b["metrics"].as_object()["memoryUsage"] = "lots";
  bad.push_back(b);
  b = heartbeat_body();
  b["metrics"].as_object().erase("uptime");
  bad.push_back(b);
  b = heartbeat_body();
  b["hardware"] = {{"memory", -1}};
  bad.push_back(b);
  b = heartbeat_body();
  b["network"] = {{"type", "carrier-pigeon"}};
  bad.push_back(b);
  b = heartbeat_body();
  b["capabilities"] = {{"storage", "yes"}};
  bad.push_back(b);
  b = heartbeat_body();
  b["ip"] = "999.0.0.1";
  bad.push_back(b);
  for (const auto& payload : bad) {
    const auto r = beat(d, payload);
    EXPECT_EQ(r.status, 400) << body(payload);
    EXPECT_EQ(error_code(r), "VALIDATION_ERROR");
  }
  const auto r = beat(d, bad[2]);
  EXPECT_EQ(r.json().at("error").at("details").at("field"), "metrics.cpuUsage");
  EXPECT_TRUE(call("GET", "/api/devices/" + d.id).json().at("data").at("lastHeartbeat").is_null());
  EXPECT_TRUE(call("GET", "/api/devices/" + d.id + "/metrics")
                  .json()
                  .at("data")
                  .at("samples")
                  .as_array()
                  .empty());
}

TEST_P(DevicesTest, MetricsHonourRangeAndLimit) {
  const Device d = create();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(beat(d, heartbeat_body("online", 10.0 * i)).status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  const std::string base = "/api/devices/" + d.id + "/metrics";
  auto samples = [&](const std::string& query) {
    const auto r = call("GET", base + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("data").at("samples").as_array();
  };
  const auto all = samples("");
  ASSERT_EQ(all.size(), 5u);
  EXPECT_LT(all[0].at("timestamp").as_int64(), all[4].at("timestamp").as_int64()) << "oldest first";
  const auto newest = samples("?limit=2");
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[1].at("cpuUsage"), 40);
  const std::int64_t t2 = all[2].at("timestamp").as_int64();
  EXPECT_EQ(samples("?from=" + std::to_string(t2)).size(), 3u);
  EXPECT_EQ(samples("?to=" + std::to_string(t2)).size(), 3u);
  EXPECT_EQ(call("GET", base + "?from=10&to=5").status, 400);
  // A `from` ahead of now with no `to` is a range with nothing in it yet, not a backwards one.
  EXPECT_TRUE(samples("?from=" + std::to_string(now_ms() + 3'600'000)).empty());
  EXPECT_EQ(call("GET", base + "?limit=0").status, 400);
  EXPECT_EQ(call("GET", base + "?from=yesterday").status, 400);
}

TEST_P(DevicesTest, StatusChangesArePublished) {
  std::mutex mutex;
  std::vector<realtime::Event> seen;
  auto subscription = server().app->events().subscribe(realtime::topics::user(owner.id),
                                                       [&](const realtime::SharedEvent& e) {
                                                         std::lock_guard lock(mutex);
                                                         seen.push_back(*e);
                                                       });
  const Device d = create();
  ASSERT_EQ(beat(d).status, 200);
  ASSERT_EQ(beat(d).status, 200);  // no change, no event
  auto events_for = [&](const std::string& status) {
    std::lock_guard lock(mutex);
    return std::count_if(seen.begin(), seen.end(), [&](const realtime::Event& e) {
      return e.type == "device_status" && e.payload.at("deviceId") == d.id.c_str() &&
             e.payload.at("status") == status.c_str() && e.user_id == owner.id;
    });
  };
  EXPECT_EQ(events_for("online"), 1);

  // Silent for longer than 3 intervals: the job marks it offline and says so.
  server().app->database().query("UPDATE devices SET last_heartbeat = $1 WHERE id = $2",
                                 {db::Timestamp{now_ms() - 3600 * 1000}, d.id});
  const auto changes = server().app->devices().mark_silent_devices_offline();
  EXPECT_TRUE(std::any_of(changes.begin(), changes.end(),
                          [&](const auto& c) { return c.device_id == d.id; }));
  EXPECT_EQ(call("GET", "/api/devices/" + d.id).json().at("data").at("status"), "offline");
  EXPECT_EQ(events_for("offline"), 1);
  // Running it again changes nothing.
  const auto again = server().app->devices().mark_silent_devices_offline();
  EXPECT_FALSE(
      std::any_of(again.begin(), again.end(), [&](const auto& c) { return c.device_id == d.id; }));
}

INSTANTIATE_TEST_SUITE_P(Backends, DevicesTest, ::testing::ValuesIn(backends()), backend_name);

// A user and one device on a server of its own (for tests that change job settings).
struct OwnDevice {
  Account owner;
  std::string id;
  std::string token;
};

OwnDevice own_device(http::HttpClient& client) {
  OwnDevice d{register_account(client), {}, {}};
  const auto created =
      client.request("POST", "/api/devices", body(device_body()), bearer(d.owner.access_token));
  EXPECT_EQ(created.status, 201) << created.body;
  d.id = std::string(created.json().at("data").at("device").at("id").as_string());
  d.token = std::string(created.json().at("data").at("deviceToken").as_string());
  return d;
}

TEST(DevicesJobs, SchedulerMarksSilentDevicesOffline) {
  Config config = test_config("sqlite");
  config.heartbeat_interval_seconds = 1;
  auto server = start_server(config);
  auto client = server->client();
  const auto [a, id, token] = own_device(*client);
  ASSERT_EQ(client
                ->request("POST", "/api/devices/" + id + "/heartbeat", body(heartbeat_body()),
                          device_auth(token))
                .status,
            200);
  std::string status = "online";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (status == "online" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    status = std::string(client->request("GET", "/api/devices/" + id, {}, bearer(a.access_token))
                             .json()
                             .at("data")
                             .at("status")
                             .as_string());
  }
  EXPECT_EQ(status, "offline");
}

TEST(DevicesJobs, MetricsArePrunedToTheConfiguredCount) {
  Config config = test_config("sqlite");
  config.metrics_max_samples = 3;
  auto server = start_server(config);
  auto client = server->client();
  const auto [a, id, token] = own_device(*client);
  for (int i = 0; i < 6; ++i)
    client->request("POST", "/api/devices/" + id + "/heartbeat", body(heartbeat_body("online", i)),
                    device_auth(token));
  EXPECT_EQ(server->app->devices().prune_metrics(), 3);
  const auto samples =
      client->request("GET", "/api/devices/" + id + "/metrics", {}, bearer(a.access_token))
          .json()
          .at("data")
          .at("samples")
          .as_array();
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].at("cpuUsage"), 3) << "the newest are kept";
}

}  // namespace
}  // namespace karma::testing
