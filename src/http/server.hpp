#pragma once
// The HTTP/1.1 server: N I/O threads run Beast sessions as C++20 coroutines; blocking handlers
// run on a bounded worker pool so no I/O thread ever waits on the database. Beast stays inside
// server.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace karma::http {

class Router;
class Metrics;

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 3000;  // 0: any free port (see Server::port)
  int io_threads = 0;         // 0: one per core
  int worker_threads = 2;
  int heavy_threads = 2;     // runs RouteOptions::cpu_heavy handlers (password hashing)
  int transfer_threads = 4;  // storage I/O of streamed request and response bodies
  std::size_t body_limit_bytes = 1024 * 1024;
  int request_timeout_seconds = 30;
  int idle_timeout_seconds = 75;
  int shutdown_grace_seconds = 10;
  std::vector<std::string> cors_origins;  // "*" allows any origin; empty: no CORS headers
  bool trust_proxy = false;               // client address from X-Forwarded-For
  // What one WebSocket may have queued and unsent; a peer that lets more pile up is closed
  // (1013, try again later) and, if it does not take the close frame, cut off.
  std::size_t websocket_queue_bytes = 4 * 1024 * 1024;
  // Server-Sent Events: a comment goes out after this much silence, so proxies and clients do
  // not time an idle stream out; and what one stream may have queued and unsent before its
  // client is cut off.
  int event_stream_heartbeat_seconds = 15;
  std::size_t event_stream_buffer_bytes = 1024 * 1024;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads; returns once the port accepts connections.
  void start();
  std::uint16_t port() const;
  // Blocks until SIGINT or SIGTERM (then call stop()).
  void wait_for_signal();
  // Stops accepting, lets in-flight requests finish (up to the grace period), closes idle
  // connections and joins every thread. Idempotent.
  void stop();

  class Impl;  // opaque; public so server.cpp's sessions can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace karma::http
