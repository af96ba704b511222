// Hostile input on SQLite and PostgreSQL: what an attacker or a buggy client sends must be
// answered with the contract's envelope — never a crash, a 500 or a body that is not UTF-8 JSON
// — and must be answered the same way by both databases.
#include <boost/json.hpp>

#include <future>
#include <map>

#include "core/crypto.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;
using http::ClientResponse;

// The body parsed by a strict decoder (Boost.JSON refuses malformed UTF-8 and "Infinity").
// Fails the test when it is not JSON.
bj::value strict_json(const ClientResponse& r) {
  boost::system::error_code ec;
  bj::value v = bj::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not strict JSON (" << ec.message() << "): " << r.body;
  return v;
}

std::string field_of(const ClientResponse& r) {
  const bj::value v = strict_json(r);
  const auto* details = v.is_object() && v.as_object().contains("error")
                            ? v.at("error").as_object().if_contains("details")
                            : nullptr;
  if (!details || !details->is_object()) return "<none>";
  const auto* field = details->as_object().if_contains("field");
  if (field && field->is_string()) return std::string(field->as_string());
  const auto* fields = details->as_object().if_contains("fields");
  if (fields && fields->is_array() && !fields->as_array().empty())
    return std::string(fields->as_array()[0].at("field").as_string());
  return "<none>";
}

class HostileTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    owner = register_account(client());
    const auto r = call("POST", "/api/devices",
                        body({{"name", "ÉCOLE-Ä"},
                              {"model", "EOS-3A"},
                              {"serialNumber", "HOSTILE-" + crypto::hex(crypto::random_bytes(6))},
                              {"mac", "aa:bb:cc:00:11:22"}}));
    ASSERT_EQ(r.status, 201) << r.body;
    device_id = std::string(r.json().at("data").at("device").at("id").as_string());
    device_token = std::string(r.json().at("data").at("deviceToken").as_string());
  }

  ClientResponse call(const std::string& method, const std::string& path,
                      const std::string& payload = {}) {
    auto headers = bearer(owner.access_token);
    if (!payload.empty()) headers.push_back({"content-type", "application/json"});
    return client().request(method, path, payload, headers);
  }

  // A request whose answer must be a 400 VALIDATION_ERROR naming `field`, in strict JSON.
  void expect_refused(const ClientResponse& r, const std::string& field, const std::string& what) {
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(error_code(r), "VALIDATION_ERROR") << what;
    EXPECT_EQ(field_of(r), field) << what << ": " << r.body;
  }

  // Uploads one file to the device's root folder.
  ClientResponse upload(const std::string& name, const std::string& content) {
    const std::string boundary = "----HostileBoundary";
    const std::string form = "--" + boundary +
                             "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                             name + "\"\r\n\r\n" + content + "\r\n--" + boundary + "--\r\n";
    return client().request("POST", "/api/devices/" + device_id + "/files/upload", form,
                            {{"authorization", "Bearer " + owner.access_token},
                             {"content-type", "multipart/form-data; boundary=" + boundary}});
  }

  // The server still answers on a new connection.
  void expect_alive() {
    auto fresh = server().client();
    EXPECT_EQ(fresh->request("GET", "/healthz").status, 200) << "the server died";
  }

  Account owner;
  std::string device_id;
  std::string device_token;
};

// A trailer field of 64 KiB or more once aborted the process (Beast threw out of the I/O
// thread). Trailers count against the header limit; small ones are accepted and ignored.
TEST_P(HostileTest, ChunkedTrailersCountAgainstTheHeaderLimit) {
  const std::string head =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (const std::size_t size : {70'000u, 300'000u, 20'000u}) {
    const auto responses = client().raw(head + "X-T: " + std::string(size, 'c') + "\r\n\r\n", 1);
    ASSERT_EQ(responses.size(), 1u) << size;
    EXPECT_EQ(responses[0].status, 400) << size;
    strict_json(responses[0]);
    expect_alive();
  }
  // Many small fields add up too.
  std::string many = head;
  for (int i = 0; i < 2000; ++i) many += "X-" + std::to_string(i) + ": vvvvvvvv\r\n";
  const auto piled = client().raw(many + "\r\n", 1);
  ASSERT_EQ(piled.size(), 1u);
  EXPECT_EQ(piled[0].status, 400);
  const auto fine = client().raw(head + "X-Checksum: abc\r\n\r\n", 1);
  ASSERT_EQ(fine.size(), 1u);
  EXPECT_EQ(fine[0].status, 200);
  expect_alive();
}

// RFC 9112 §3.2 and the headers a proxy could read differently from us.
TEST_P(HostileTest, HostAbsoluteFormAndRepeatedCredentials) {
  const auto no_host = client().raw("GET /healthz HTTP/1.1\r\n\r\n", 1);
  ASSERT_EQ(no_host.size(), 1u);
  EXPECT_EQ(no_host[0].status, 400);
  EXPECT_EQ(field_of(no_host[0]), "host");
  const auto two_hosts = client().raw("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 1);
  ASSERT_EQ(two_hosts.size(), 1u);
  EXPECT_EQ(two_hosts[0].status, 400);
  const auto http10 = client().raw("GET /healthz HTTP/1.0\r\n\r\n", 1);
  ASSERT_EQ(http10.size(), 1u);
  EXPECT_EQ(http10[0].status, 200) << "HTTP/1.0 may omit Host";

  const std::string port = std::to_string(server().port());
  const auto absolute = client().raw("GET http://127.0.0.1:" + port +
                                         "/api/devices?pageSize=5 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         "Authorization: Bearer " +
                                         owner.access_token + "\r\nConnection: close\r\n\r\n",
                                     1);
  ASSERT_EQ(absolute.size(), 1u);
  EXPECT_EQ(absolute[0].status, 200) << absolute[0].body;
  const auto bare =
      client().raw("GET http://127.0.0.1:" + port + " HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  ASSERT_EQ(bare.size(), 1u);
  // "/" is the realtime hub's WebSocket route: a plain GET of it is a 400 saying so.
  EXPECT_EQ(bare[0].status, 400) << "absolute-form without a path is /";
  EXPECT_NE(bare[0].body.find("WebSocket upgrade"), std::string::npos) << bare[0].body;
  const auto other_scheme = client().raw("GET ftp://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  ASSERT_EQ(other_scheme.size(), 1u);
  EXPECT_EQ(other_scheme[0].status, 400);

  const Account other = register_account(client());
  const auto twice = client().raw("GET /api/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                      owner.access_token + "\r\nAuthorization: Bearer " +
                                      other.access_token + "\r\n\r\n",
                                  1);
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_EQ(twice[0].status, 400) << "not \"the first wins\"";
  EXPECT_EQ(field_of(twice[0]), "authorization");
  expect_alive();
}

// Percent-decoded query bytes that are not UTF-8 text (PostgreSQL once answered 500 "invalid
// byte sequence") are refused naming the parameter, before any handler sees them.
TEST_P(HostileTest, QueryTextThatIsNotUtf8IsRefusedNamingTheParameter) {
  const std::string devices = "/api/devices";
  const std::string files = "/api/devices/" + device_id + "/files";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {devices + "?q=%FF", "q"},
      {devices + "?q=%C0%AF", "q"},
      {devices + "?tag=%FF%FE", "tag"},
      {devices + "?status=%FF", "status"},
      {devices + "?sort=%ED%A0%80", "sort"},       // a UTF-16 surrogate
      {devices + "?order=%F4%90%80%80", "order"},  // past U+10FFFF
      {devices + "?model=a%00b", "model"},
      {devices + "?%FF=1", "query"},
      {files + "?type=%FF", "type"},
      {files + "?category=%E2%82", "category"},  // cut short
      {files + "?recursive=%FF", "recursive"},
      {files + "?path=/%FF", "path"},
  };
  for (const auto& [target, field] : cases) expect_refused(call("GET", target), field, target);
  // Valid text of the wrong value still gets the ordinary answer, echoing it whole.
  const auto wrong = call("GET", devices + "?status=%C3%A9t%C3%A9");
  expect_refused(wrong, "status", "status=été");
  EXPECT_EQ(strict_json(wrong).at("error").at("details").at("received"), "été");
}

// Echoed input is cut at a character boundary, never inside a UTF-8 sequence.
TEST_P(HostileTest, EchoedInputIsCutBetweenCharacters) {
  std::string long_value;
  for (int i = 0; i < 40; ++i) long_value += "%C3%A9";  // 80 bytes of "é"
  const auto r = call("GET", "/api/devices?status=a" + long_value);
  expect_refused(r, "status", "long status");
  const std::string received(strict_json(r).at("error").at("details").at("received").as_string());
  EXPECT_LE(received.size(), 64u);
  EXPECT_EQ(
      received, "a" + [] {
        std::string s;
        for (int i = 0; i < 31; ++i) s += "é";
        return s;
      }());
}

// JSON strings with NUL (PostgreSQL's TEXT and JSONB refuse it) and numbers that overflow to
// infinity (echoed once as "Infinity", which is not JSON) are refused naming the field.
TEST_P(HostileTest, NulAndOverflowingNumbersInJsonAreRefusedNamingTheField) {
  const std::string commands = "/api/devices/" + device_id + "/commands";
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases = {
      {"POST", commands, R"({"command":"reboot","params":{"k":"a\u0000b"}})", "params.k"},
      {"POST", commands, R"({"command":"reboot","params":{"a\u0000b":1}})", "params"},
      {"POST", commands, R"({"command":"reboot","params":{"list":[1,"x\u0000"]}})",
       "params.list[1]"},
      {"POST", commands, R"({"command":"reboot","timeoutMs":1e309})", "timeoutMs"},
      // A whole number too large for an integer (casting it was undefined behaviour).
      {"POST", commands, R"({"command":"reboot","timeoutMs":1e30})", "timeoutMs"},
      {"POST", commands, R"({"command":"reboot","timeoutMs":-1e30})", "timeoutMs"},
      {"POST", "/api/devices",
       R"({"name":"x","model":"EOS-3A","serialNumber":"S-1","mac":"aa:bb:cc:00:11:22","location":{"latitude":-1e400,"longitude":0}})",
       "location.latitude"},
      {"PUT", "/api/devices/" + device_id, R"({"name":"a\u0000"})", "name"},
      {"POST", "/api/auth/login", R"({"email":"a@b.c","password":"x\u0000"})", "password"},
  };
  for (const auto& [method, path, payload, field] : cases)
    expect_refused(call(method, path, payload), field, payload);
  const auto beat = client().request(
      "POST", "/api/devices/" + device_id + "/heartbeat",
      R"({"status":"online","metrics":{"cpuUsage":1e309,"memoryUsage":1,"diskUsage":1,"temperature":1,"uptime":1}})",
      {{"authorization", "Device " + device_token}, {"content-type", "application/json"}});
  expect_refused(beat, "metrics.cpuUsage", "heartbeat cpuUsage 1e309");
  EXPECT_EQ(beat.body.find("Infinity"), std::string::npos);
  // Nothing of the refused commands was stored.
  const auto listed = call("GET", commands);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(strict_json(listed).at("data").at("total"), 0) << listed.body;
}

// Every error path fed hostile bytes answers strict UTF-8 JSON, never a 500.
TEST_P(HostileTest, EveryAnswerToHostileBytesIsStrictJson) {
  const std::vector<std::string> hostile = {"%FF",   "%C0%AF", "%00",    "%ED%A0%80",   "%E2%82",
                                            "1e309", "-1e309", "%22%5C", "%F0%9F%92%A9"};
  const std::vector<std::string> targets = {"/api/devices?q=",
                                            "/api/devices?page=",
                                            "/api/devices?pageSize=",
                                            "/api/devices?sort=",
                                            "/api/devices?order=",
                                            "/api/devices?model=",
                                            "/api/devices/",
                                            "/api/devices/" + device_id + "/files?sort=",
                                            "/api/devices/" + device_id + "/files?path=",
                                            "/api/devices/" + device_id + "/metrics?from=",
                                            "/api/devices/" + device_id + "/commands?status=",
                                            "/api/nowhere/"};
  for (const auto& target : targets) {
    for (const auto& bytes : hostile) {
      const auto r = call("GET", target + bytes);
      EXPECT_NE(r.status, 500) << target << bytes << ": " << r.body;
      EXPECT_TRUE(strict_json(r).is_object()) << target << bytes;
    }
  }
  for (const std::string& raw_body :
       {std::string("{\"name\":\"\xff\"}"), std::string("{\"a\":\"\xc0\xaf\"}"),
        std::string("\xef\xbb\xbf{}"), std::string("[1e309]"), std::string("{\"name\":1e309}")}) {
    const auto r = call("POST", "/api/devices", raw_body);
    EXPECT_EQ(r.status, 400) << r.body;
    strict_json(r);
  }
  expect_alive();
}

// One Unicode case mapping on both databases (PostgreSQL once lowered only ASCII in the query).
TEST_P(HostileTest, DeviceSearchIsCaseInsensitiveBeyondAscii) {
  for (const char* q : {"%C3%A9cole", "%C3%89COLE", "%C3%A9COLE-%C3%84", "-%C3%A4", "COLE"}) {
    const auto r = call("GET", std::string("/api/devices?q=") + q);
    ASSERT_EQ(r.status, 200) << r.body;
    const bj::value data = strict_json(r).at("data");
    const auto& items = data.at("devices").as_array();
    ASSERT_EQ(items.size(), 1u) << q;
    EXPECT_EQ(items[0].at("name"), "ÉCOLE-Ä");
  }
  EXPECT_EQ(strict_json(call("GET", "/api/devices?q=%C3%A8cole"))
                .at("data")
                .at("devices")
                .as_array()
                .size(),
            0u)
      << "è is not é";
}

// Ids in upper case named a row on PostgreSQL's uuid columns and none on SQLite's text ones:
// both now read every id in its canonical (lower-case) spelling.
TEST_P(HostileTest, UpperCaseIdsMeanTheSameOnBothDatabases) {
  const auto upper = [](std::string id) {
    for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return id;
  };
  EXPECT_EQ(call("GET", "/api/devices/" + upper(device_id)).status, 200);
  const std::string folder_path = "/api/devices/" + device_id + "/folders";
  ASSERT_EQ(call("POST", folder_path, body({{"path", "/kept"}})).status, 201);
  const auto uploaded = upload("a.txt", "hello");
  ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  const std::string file_id(strict_json(uploaded).at("data").at("file").at("id").as_string());
  const auto batch = call("POST", "/api/devices/" + device_id + "/files/batch",
                          body({{"operation", "copy"},
                                {"fileIds", bj::array{upper(file_id)}},
                                {"targetPath", "/kept"}}));
  ASSERT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(strict_json(batch).at("data").at("succeeded"), bj::array{bj::string(upper(file_id))})
      << batch.body;
}

// The longest names validation lets through fit every column on both databases (PostgreSQL's
// VARCHAR(50) extension once refused a file named "a." followed by 60 characters).
TEST_P(HostileTest, TheLongestAcceptedNamesFitEveryColumn) {
  for (const std::string& name :
       {"a." + std::string(60, 'x'), std::string(200, 'n') + "." + std::string(54, 'e'), [] {
          std::string s;
          for (int i = 0; i < 127; ++i) s += "é";  // 254 bytes, 127 characters
          return s + "z";
        }()}) {
    const auto r = upload(name, "hello");
    ASSERT_EQ(r.status, 201) << name << ": " << r.body;
    EXPECT_EQ(strict_json(r).at("data").at("file").at("name"), name.c_str());
  }
  std::string long_name;
  for (int i = 0; i < 100; ++i) long_name += "名";  // 100 characters, 300 bytes
  const auto device = call("PUT", "/api/devices/" + device_id, body({{"name", long_name}}));
  EXPECT_EQ(device.status, 200) << device.body;
}

// 20 requests racing for one unique value: one 201, and 409 for every other, never a 500 from
// the unique index (PostgreSQL lets each pass the check before any has inserted).
TEST_P(HostileTest, RacingCreatesOfOneUniqueValueGiveOne201AndConflicts) {
  constexpr int kRacers = 20;
  const std::uint16_t port = server().port();
  const std::string token = owner.access_token;
  const auto race = [&](const std::string& path, const std::string& payload, bool bearer_auth) {
    std::vector<std::future<int>> racers;
    for (int i = 0; i < kRacers; ++i) {
      racers.push_back(std::async(std::launch::async, [&] {
        http::HttpClient c("127.0.0.1", port);
        std::vector<http::Header> headers{{"content-type", "application/json"}};
        if (bearer_auth) headers.push_back({"authorization", "Bearer " + token});
        return c.request("POST", path, payload, headers).status;
      }));
    }
    std::map<int, int> statuses;
    for (auto& r : racers) ++statuses[r.get()];
    return statuses;
  };
  for (int round = 0; round < 3; ++round) {
    const std::string serial = "RACE-" + crypto::hex(crypto::random_bytes(6));
    EXPECT_EQ(race("/api/devices",
                   body({{"name", "Racer"},
                         {"model", "EOS-3B"},
                         {"serialNumber", serial},
                         {"mac", "aa:bb:cc:00:11:22"}}),
                   true),
              (std::map<int, int>{{201, 1}, {409, kRacers - 1}}))
        << serial;
  }
  const std::string email = unique_email("race");
  EXPECT_EQ(race("/api/auth/register",
                 body({{"email", email}, {"password", "password123"}, {"name", "Racer"}}), false),
            (std::map<int, int>{{201, 1}, {409, kRacers - 1}}));
}

INSTANTIATE_TEST_SUITE_P(Backends, HostileTest, ::testing::ValuesIn(backends()), backend_name);

}  // namespace
}  // namespace karma::testing
