#include "http/server.hpp"

#include <csignal>

#include "core/log.hpp"
#include "http/http_session.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server_internal.hpp"

namespace karma::http {

bool Server::Impl::origin_allowed(std::string_view origin) const {
  for (const auto& allowed : options.cors_origins)
    if (allowed == "*" || allowed == origin) return true;
  return false;
}

void Server::Impl::add_cors(std::string_view origin, Response& response) const {
  const bool any = std::find(options.cors_origins.begin(), options.cors_origins.end(), "*") !=
                   options.cors_origins.end();
  response.set_header("access-control-allow-origin", any ? "*" : std::string(origin));
  if (!any) response.set_header("vary", "Origin");
  response.set_header("access-control-expose-headers",
                      "X-Request-Id, Retry-After, Content-Disposition, ETag, Allow");
}

// Accepting is plain callbacks, not a coroutine: g++ 12 double-destroys temporaries around
// co_spawn inside coroutines (the strand executor of a new socket was released twice).
void Server::Impl::accept_next() {
  acceptor.async_accept(asio::make_strand(ioc), [this](boost::system::error_code ec, auto socket) {
    if (ec) {
      if (!acceptor.is_open()) return;
      log::warn("accept failed", {{"error", ec.message()}});
    } else {
      start_session(tcp::socket(std::move(socket)));
    }
    accept_next();
  });
}

void Server::Impl::start_session(tcp::socket socket) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(sessions_mutex);
    const std::uint64_t id = ++next_session_id;
    session = std::make_shared<Session>(std::move(socket), *this, id);
    sessions.emplace(id, session);
  }
  auto executor = session->executor();
  asio::co_spawn(executor, Session::run(session),
                 [session](std::exception_ptr) { session->upgrade_if_accepted(); });
}

std::vector<std::shared_ptr<Session>> Server::Impl::live_sessions() {
  std::vector<std::shared_ptr<Session>> out;
  std::lock_guard lock(sessions_mutex);
  for (auto& [id, weak] : sessions)
    if (auto s = weak.lock()) out.push_back(std::move(s));
  return out;
}

void Server::Impl::start() {
  const auto address = asio::ip::make_address(options.host);
  const tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  bound_port = acceptor.local_endpoint().port();
  asio::post(acceptor_strand, [this] { accept_next(); });
  int count = options.io_threads > 0 ? options.io_threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  if (count < 1) count = 1;
  for (int i = 0; i < count; ++i) threads.emplace_back([this] { run_io(); });
}

// A handler that throws unwinds out of run(); Asio lets the thread call run() again. The
// connection whose handler threw loses its coroutine (and so its socket); the others live on.
void Server::Impl::run_io() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      log::error("connection handler failed", {{"error", e.what()}});
    } catch (...) {
      log::error("connection handler failed", {{"error", "unknown exception"}});
    }
  }
}

void Server::Impl::stop() {
  if (stopped.exchange(true)) return;
  draining = true;
  asio::post(acceptor_strand, [this] {
    boost::system::error_code ec;
    acceptor.close(ec);
  });
  for (auto& session : live_sessions())
    asio::post(session->executor(), [session] { session->close_if_idle(); });
  // In-flight requests finish and their connections close; WebSocket peers answer the 1001
  // close frame (or time out) and their sessions end. Whatever is left at the deadline is cut.
  const auto deadline = Clock::now() + std::chrono::seconds(options.shutdown_grace_seconds);
  while ((metrics.in_flight() > 0 || !live_sessions().empty()) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (auto& session : live_sessions())
    asio::post(session->executor(), [session] { session->close(); });
  // Give the closed sessions a moment to unwind before the loop stops under them.
  const auto unwind = Clock::now() + std::chrono::milliseconds(500);
  while (!live_sessions().empty() && Clock::now() < unwind)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ioc.stop();
  for (auto& t : threads)
    if (t.joinable()) t.join();
  workers.join();
  heavy_workers.join();
  transfer_workers.join();
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() {
  stop();
}

void Server::start() {
  impl_->start();
}

std::uint16_t Server::port() const {
  return impl_->bound_port;
}

void Server::wait_for_signal() {
  asio::io_context signals_context;
  asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int signal) {
    log::info("shutting down", {{"signal", signal}});
  });
  signals_context.run();
}

void Server::stop() {
  if (impl_) impl_->stop();
}

}  // namespace karma::http
