// The HTTP core as a client sees it: routing envelopes, request ids, limits, CORS, keep-alive,
// pipelining, timeouts and graceful shutdown. Backend-independent, so it runs on SQLite.
#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <utility>

#include "core/crypto.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "test_server.hpp"

namespace karma::testing {
namespace {

namespace bj = boost::json;

class HttpCoreTest : public ::testing::Test {
 protected:
  void SetUp() override { client_ = shared_server("sqlite").client(); }
  http::HttpClient& client() { return *client_; }
  std::unique_ptr<http::HttpClient> client_;
};

TEST_F(HttpCoreTest, UnknownRouteIs404Envelope) {
  const auto r = client().request("GET", "/api/does-not-exist");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json().at("success"), false);
  EXPECT_EQ(r.json().at("error").at("code"), "NOT_FOUND");
  EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST_F(HttpCoreTest, WrongMethodIs405WithAllow) {
  const auto r = client().request("DELETE", "/api/auth/login");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.json().at("error").at("code"), "METHOD_NOT_ALLOWED");
  EXPECT_EQ(r.header("allow"), "POST");
}

TEST_F(HttpCoreTest, EveryRouteAnswersUnderApiV1) {
  EXPECT_EQ(client().request("GET", "/api/v1/auth/me").status, 401);
  EXPECT_EQ(client().request("GET", "/api/auth/me").status, 401);
  EXPECT_EQ(client().request("GET", "/api/v2/auth/me").status, 404);
}

TEST_F(HttpCoreTest, RequestIdIsEchoedWhenSaneAndMadeOtherwise) {
  auto r = client().request("GET", "/healthz", {}, {{"x-request-id", "abc-123.DEF_9"}});
  EXPECT_EQ(r.header("x-request-id"), "abc-123.DEF_9");
  r = client().request("GET", "/healthz", {}, {{"x-request-id", "bad id with spaces"}});
  EXPECT_TRUE(crypto::is_uuid(r.header("x-request-id"))) << r.header("x-request-id");
  r = client().request("GET", "/healthz", {}, {{"x-request-id", std::string(300, 'a')}});
  EXPECT_TRUE(crypto::is_uuid(r.header("x-request-id")));
  r = client().request("GET", "/api/nope");
  EXPECT_TRUE(crypto::is_uuid(r.header("x-request-id"))) << "errors carry an id too";
}

TEST_F(HttpCoreTest, BodyOverTheLimitIs413AndTheAnswerArrives) {
  const std::string big(200 * 1024, 'x');
  const auto r = client().request("POST", "/api/auth/login", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json().at("error").at("code"), "PAYLOAD_TOO_LARGE");
  // The client recovers on a new connection.
  EXPECT_EQ(client().request("GET", "/healthz").status, 200);
}

TEST_F(HttpCoreTest, ChunkedBodyOverTheLimitIs413) {
  std::string raw =
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 80; ++i) raw += "400\r\n" + std::string(1024, 'a') + "\r\n";
  raw += "0\r\n\r\n";
  const auto responses = client().raw(raw, 1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 413);
}

TEST_F(HttpCoreTest, ADeclaredLengthNoMemoryCouldHoldIs413BeforeAnyByteOfTheBody) {
  // A buffered body reserves its declared length, so the limit must be checked first.
  const auto responses = client().raw(
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2049638230412172401\r\n\r\n{}",
      1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 413);
  EXPECT_EQ(client().request("GET", "/healthz").status, 200);
}

TEST_F(HttpCoreTest, MalformedHttpIs400AndClosed) {
  const auto responses = client().raw("GARBAGE\r\n\r\n", 2);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].status, 400);
  EXPECT_EQ(responses[0].json().at("error").at("code"), "VALIDATION_ERROR");
}

TEST_F(HttpCoreTest, PipelinedRequestsAnswerInOrderOnOneConnection) {
  const std::string raw =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: one\r\n\r\n"
      "GET /api/nope HTTP/1.1\r\nHost: x\r\nX-Request-Id: two\r\n\r\n"
      "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nX-Request-Id: three\r\nContent-Length: "
      "1\r\n\r\n{"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: four\r\nConnection: close\r\n\r\n";
  const auto responses = client().raw(raw, 5);
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].header("x-request-id"), "one");
  EXPECT_EQ(responses[1].status, 404);
  EXPECT_EQ(responses[1].header("x-request-id"), "two");
  EXPECT_EQ(responses[2].status, 400);
  EXPECT_EQ(responses[2].header("x-request-id"), "three");
  EXPECT_EQ(responses[3].status, 200);
  EXPECT_EQ(responses[3].header("x-request-id"), "four");
}

TEST_F(HttpCoreTest, CorsPreflightAndSimpleRequests) {
  auto r = client().request("OPTIONS", "/api/auth/me", {},
                            {{"origin", "https://app.example"},
                             {"access-control-request-method", "GET"},
                             {"access-control-request-headers", "authorization"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
  EXPECT_NE(r.header("access-control-allow-methods").find("DELETE"), std::string_view::npos);
  EXPECT_EQ(r.header("access-control-allow-headers"), "authorization");
  r = client().request("GET", "/api/auth/me", {}, {{"origin", "https://app.example"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
  EXPECT_NE(r.header("access-control-expose-headers").find("X-Request-Id"), std::string_view::npos);
}

// Asynchronous handlers answer from another thread, whenever they are done; a responder that
// is dropped unanswered or a throw before the hand-off still answers with an envelope.
// Something a connection does on an I/O thread throws (here Beast refusing a response header
// over 64 KiB): that connection is lost, the process and every other connection live on.
TEST(HttpCoreAsync, AThrowOnAnIoThreadCostsOnlyItsConnection) {
  http::Router router;
  router.get("/api/huge-header",
             [](http::Request&) {
               http::Response r = http::Response::ok(nullptr);
               r.set_header("x-huge", std::string(70'000, 'h'));
               return r;
             },
             {.guard = http::Guard::open});
  router.get("/api/fine", [](http::Request&) { return http::Response::ok(nullptr); },
             {.guard = http::Guard::open});
  http::Metrics metrics;
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 1;  // the one I/O thread must survive
  http::Server server(options, router, metrics);
  server.start();
  http::HttpClient bystander("127.0.0.1", server.port());
  ASSERT_EQ(bystander.request("GET", "/api/fine").status, 200);
  for (int i = 0; i < 3; ++i) {
    http::HttpClient victim("127.0.0.1", server.port());
    EXPECT_THROW(victim.request("GET", "/api/huge-header"), std::exception);
  }
  EXPECT_EQ(bystander.request("GET", "/api/fine").status, 200) << "the keep-alive bystander";
  http::HttpClient fresh("127.0.0.1", server.port());
  EXPECT_EQ(fresh.request("GET", "/api/fine").status, 200);
}

// A plain socket that asked for a WebSocket upgrade of `path` (and reads nothing yet); -1 on
// failure. `receive_buffer`: a small SO_RCVBUF, so the server's sends back up soon.
int upgrade_raw(std::uint16_t port, std::string_view path, int receive_buffer = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string upgrade =
      "GET " + std::string(path) +
      " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::send(fd, upgrade.data(), upgrade.size(), 0) != static_cast<ssize_t>(upgrade.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A server with one WebSocket route, /api/flood, answered by `session`, and a send queue of
// `queue_bytes` per connection.
struct FloodServer {
  FloodServer(std::shared_ptr<http::WebSocketSession> session, std::size_t queue_bytes) {
    router.websocket("/api/flood", [session](http::Request&) { return session; },
                     {.guard = http::Guard::open});
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.websocket_queue_bytes = queue_bytes;
    server = std::make_unique<http::Server>(options, router, metrics);
    server->start();
  }
  http::Router router;
  http::Metrics metrics;
  std::unique_ptr<http::Server> server;
};

// A WebSocket peer that stops reading while the server has lots to send: the server's queue
// stays bounded, the peer is closed (1013, then cut off as it takes nothing) and the
// application sees on_close — instead of the messages piling up in memory.
TEST(HttpCoreWebSocket, APeerThatStopsReadingIsClosedNotBufferedForever) {
  struct Flood final : http::WebSocketSession {
    std::atomic<bool> closed{false};
    void on_open(std::shared_ptr<http::WebSocketConnection> connection) override {
      const std::string message(64 * 1024, 'm');
      for (int i = 0; i < 4000; ++i) connection->send(message);  // 256 MB if nothing were dropped
    }
    void on_message(std::string_view) override {}
    void on_close() override { closed = true; }
  };
  auto flood = std::make_shared<Flood>();
  FloodServer server(flood, 1024 * 1024);
  const int fd = upgrade_raw(server.server->port(), "/api/flood", 4096);
  ASSERT_GE(fd, 0);
  // Never read.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!flood->closed && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(flood->closed) << "the server still holds the peer that stopped reading";
  ::close(fd);
}

// What a raw socket reads of a server's WebSocket once the upgrade is answered: each text
// message (continuation frames joined) and the close frame's code.
struct ReadFrames {
  std::vector<std::string> texts;
  int close_code = 0;
};

ReadFrames read_frames(int fd) {
  std::string in;
  char buffer[65536];
  bool upgraded = false;
  ReadFrames out;
  std::string message;
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return out;
    in.append(buffer, static_cast<std::size_t>(n));
    if (!upgraded) {
      const auto head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      in.erase(0, head_end + 4);
      upgraded = true;
    }
    // Whole frames at the front of `in` (a server's frames are unmasked).
    const auto byte = [&in](std::size_t i) { return static_cast<unsigned char>(in[i]); };
    while (in.size() >= 2) {
      const bool fin = byte(0) & 0x80;
      const int opcode = byte(0) & 0x0f;
      std::size_t length = byte(1) & 0x7f, header = 2;
      if (length >= 126) {
        header = length == 126 ? 4 : 10;
        if (in.size() < header) break;
        length = 0;
        for (std::size_t i = 2; i < header; ++i) length = (length << 8) | byte(i);
      }
      if (in.size() < header + length) break;
      const std::string payload = in.substr(header, length);
      in.erase(0, header + length);
      if (opcode == 8) {
        out.close_code = payload.size() >= 2 ? (static_cast<unsigned char>(payload[0]) << 8) |
                                                   static_cast<unsigned char>(payload[1])
                                             : 1005;
        return out;
      }
      message += payload;
      if (fin) out.texts.push_back(std::exchange(message, {}));
    }
  }
}

// A peer that lags: what is queued is dropped, the application's notice (saying how many
// messages were lost) is the last message, and the close is 1013 (try again later).
TEST(HttpCoreWebSocket, ALaggingPeerGetsTheLagNoticeThenA1013Close) {
  struct Flood final : http::WebSocketSession {
    void on_open(std::shared_ptr<http::WebSocketConnection> connection) override {
      const auto message = std::make_shared<const std::string>(16 * 1024, 'm');
      for (int i = 0; i < 1000; ++i) connection->send_shared(message);  // one buffer, 1000 times
    }
    void on_message(std::string_view) override {}
    void on_close() override {}
    std::string lagged_notice(std::size_t dropped) const override {
      return "lagged " + std::to_string(dropped);
    }
  };
  FloodServer server(std::make_shared<Flood>(), 256 * 1024);
  const int fd = upgrade_raw(server.server->port(), "/api/flood");
  ASSERT_GE(fd, 0);
  const ReadFrames frames = read_frames(fd);
  ::close(fd);
  EXPECT_EQ(frames.close_code, 1013);
  ASSERT_FALSE(frames.texts.empty());
  const std::string& last = frames.texts.back();
  ASSERT_EQ(last.rfind("lagged ", 0), 0u) << last.substr(0, 40);
  const std::size_t dropped = std::stoul(last.substr(7));
  // What arrived fits the queue; what was dropped is counted (sends racing the close after
  // the notice are not).
  EXPECT_LT(frames.texts.size(), 40u);
  EXPECT_GT(dropped, 0u);
  EXPECT_LE(frames.texts.size() - 1 + dropped, 1000u);
  for (std::size_t i = 0; i + 1 < frames.texts.size(); ++i)
    ASSERT_EQ(frames.texts[i].size(), 16u * 1024) << "message " << i;
}

TEST(HttpCoreAsync, HandlersAnswerFromAnyThreadAndNeverHang) {
  http::Router router;
  std::vector<std::thread> helpers;
  std::mutex helpers_mutex;
  router.post_async("/api/later",
                    [&](http::Request& req, const http::Responder& respond) {
                      std::lock_guard lock(helpers_mutex);
                      helpers.emplace_back([&req, respond] {
                        std::this_thread::sleep_for(std::chrono::milliseconds(5));
                        respond(http::Response::ok(bj::object{{"echo", req.body}}));
                      });
                    },
                    {.guard = http::Guard::open});
  router.post_async("/api/dropped", [](http::Request&, const http::Responder&) {},
                    {.guard = http::Guard::open});
  router.post_async("/api/refused",
                    [](http::Request&, const http::Responder&) {
                      throw AppError(ErrorCode::validation, "refused before the hand-off");
                    },
                    {.guard = http::Guard::open});
  http::Metrics metrics;
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  http::Server server(options, router, metrics);
  server.start();

  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      http::HttpClient client("127.0.0.1", server.port());
      for (int i = 0; i < 25; ++i) {
        const std::string body = std::to_string(t) + "-" + std::to_string(i);
        const auto r = client.request("POST", "/api/later", body);
        if (r.status == 200 && r.json().at("data").at("echo") == body.c_str()) ++answered;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(answered, 100);

  http::HttpClient client("127.0.0.1", server.port());
  const auto dropped = client.request("POST", "/api/dropped");
  EXPECT_EQ(dropped.status, 500);
  EXPECT_EQ(dropped.json().at("error").at("code"), "INTERNAL_ERROR");
  const auto refused = client.request("POST", "/api/refused");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.json().at("error").at("message"), "refused before the hand-off");
  server.stop();
  for (auto& h : helpers) h.join();
}

// Keeps what it is given, but leaves the last few bytes of each piece for the next call, the
// way a parser holds back a possible boundary.
struct RecordingStream : http::BodyStream {
  std::string& received;
  std::size_t& largest_piece;
  bool& finished;
  std::size_t fail_after;
  RecordingStream(std::string& r, std::size_t& l, bool& f, std::size_t fail)
      : received(r), largest_piece(l), finished(f), fail_after(fail) {}
  std::size_t consume(std::string_view bytes) override {
    largest_piece = std::max(largest_piece, bytes.size());
    const std::size_t take = bytes.size() > 3 ? bytes.size() - 3 : 0;
    received.append(bytes.substr(0, take));
    if (received.size() > fail_after) throw AppError(ErrorCode::forbidden, "quota exceeded");
    return take;
  }
  http::Response finish(std::string_view unused) override {
    received.append(unused);
    finished = true;
    return http::Response::created(bj::object{{"size", received.size()}});
  }
};

// Generates `size` bytes of a known pattern in pieces.
struct PatternSource : http::BodySource {
  std::size_t left;
  std::size_t at = 0;
  explicit PatternSource(std::size_t size) : left(size) {}
  std::size_t read(char* buffer, std::size_t size) override {
    const std::size_t n = std::min(size, left);
    for (std::size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>('a' + (at + i) % 26);
    at += n;
    left -= n;
    return n;
  }
};

std::string pattern(std::size_t size) {
  std::string out(size, ' ');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

TEST(HttpCoreStreaming, BodiesStreamInBoundedPiecesBothWays) {
  http::Router router;
  std::string received;
  std::size_t largest_piece = 0;
  bool finished = false;
  router.post_streaming(
      "/api/sink",
      [&](http::Request& req) -> std::unique_ptr<http::BodyStream> {
        if (!req.header("x-refuse").empty()) throw AppError::unauthorized("refused up front");
        received.clear();
        finished = false;
        const std::size_t fail_after = req.header("x-fail").empty() ? SIZE_MAX : 1 << 20;
        return std::make_unique<RecordingStream>(received, largest_piece, finished, fail_after);
      },
      {.guard = http::Guard::open});
  router.get("/api/source",
             [](http::Request& req) {
               http::Response r;
               r.content_type = "application/octet-stream";
               const std::size_t size = 5 * 1024 * 1024 + 7;
               r.stream = std::make_shared<PatternSource>(size);
               if (req.query_param("known")) r.stream_length = size;
               return r;
             },
             {.guard = http::Guard::open});
  http::Metrics metrics;
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.body_limit_bytes = 1024;  // buffered bodies only: streams are not held to it
  http::Server server(options, router, metrics);
  server.start();
  http::HttpClient client("127.0.0.1", server.port());

  const std::string upload = pattern(8 * 1024 * 1024 + 11);
  auto r = client.request("POST", "/api/sink", upload);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(finished);
  EXPECT_EQ(received.size(), upload.size());
  EXPECT_TRUE(received == upload) << "bytes arrive whole and in order";
  EXPECT_LE(largest_piece, 256u * 1024) << "the body is handed over in pieces, never whole";
  // The connection is still usable, and streamed responses arrive whole, sized or chunked.
  for (const char* target : {"/api/source?known=1", "/api/source"}) {
    const auto d = client.request("GET", target);
    EXPECT_EQ(d.status, 200);
    EXPECT_TRUE(d.body == pattern(5 * 1024 * 1024 + 7)) << target;
    EXPECT_EQ(d.header("transfer-encoding").empty(), std::string(target).ends_with("=1"));
  }
  // Chunked uploads stream too.
  const auto chunked = client.raw(
      "POST /api/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      1);
  ASSERT_EQ(chunked.size(), 1u);
  EXPECT_EQ(chunked[0].status, 201);
  EXPECT_EQ(received, "hello world");

  // Refused before the body: the answer arrives although the body is never read.
  r = http::HttpClient("127.0.0.1", server.port())
          .request("POST", "/api/sink", upload, {{"x-refuse", "1"}});
  EXPECT_EQ(r.status, 401);
  // Failing halfway: the stream's error is the answer.
  r = http::HttpClient("127.0.0.1", server.port())
          .request("POST", "/api/sink", upload, {{"x-fail", "1"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json().at("error").at("message"), "quota exceeded");
  EXPECT_FALSE(finished);
  server.stop();
}

TEST(HttpCoreConfigured, CorsAllowsOnlyConfiguredOrigins) {
  Config config = test_config("sqlite");
  config.cors_origins = "https://app.example, https://admin.example";
  auto server = start_server(config);
  auto client = server->client();
  auto r = client->request("GET", "/healthz", {}, {{"origin", "https://admin.example"}});
  EXPECT_EQ(r.header("access-control-allow-origin"), "https://admin.example");
  EXPECT_EQ(r.header("vary"), "Origin");
  r = client->request("GET", "/healthz", {}, {{"origin", "https://evil.example"}});
  EXPECT_TRUE(r.header("access-control-allow-origin").empty());
  r = client->request(
      "OPTIONS", "/api/auth/me", {},
      {{"origin", "https://evil.example"}, {"access-control-request-method", "GET"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.header("access-control-allow-origin").empty());
}

TEST(HttpCoreConfigured, SlowClientsAreCutOffByTheRequestTimeout) {
  Config config = test_config("sqlite");
  config.request_timeout_seconds = 1;
  config.idle_timeout_seconds = 1;
  auto server = start_server(config);
  auto client = server->client();
  const auto started = std::chrono::steady_clock::now();
  // Headers never finish: the server must give up and close, not hang.
  const auto responses = client->raw("GET /healthz HTTP/1.1\r\nHost: x\r\n", 1);
  EXPECT_TRUE(responses.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST(HttpCoreConfigured, ShutdownFinishesInFlightRequestsAndRefusesNewOnes) {
  Config config = test_config("sqlite");
  auto server = start_server(config);
  auto idle_client = server->client();
  ASSERT_EQ(idle_client->request("GET", "/healthz").status, 200);  // an idle keep-alive connection
  const std::uint16_t port = server->port();
  // Registration hashes a password (tens of ms): it is in flight when shutdown begins.
  auto in_flight = std::async(std::launch::async, [port] {
    http::HttpClient c("127.0.0.1", port);
    return c.request(
        "POST", "/api/auth/register",
        bj::serialize(
            bj::object{{"email", unique_email()}, {"password", "password123"}, {"name", "Late"}}));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto stop_started = std::chrono::steady_clock::now();
  server->app->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(4))
      << "idle connections must not hold shutdown for the whole grace period";
  const auto response = in_flight.get();
  EXPECT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(response.header("connection"), "close");
  http::HttpClient late("127.0.0.1", port);
  EXPECT_THROW(late.request("GET", "/healthz"), std::exception);
}

}  // namespace
}  // namespace karma::testing
