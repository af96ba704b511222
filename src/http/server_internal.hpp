#pragma once
// What the server's parts share (server.cpp, http_session.cpp, ws_connection.cpp, sse_sink.cpp):
// Beast names, the pools and the listener's state. Private to src/http.
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "http/server.hpp"

namespace karma::http {

class Router;
class Metrics;
struct Response;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

inline constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);
// Pieces of streamed bodies: large enough that the hop to the transfer pool is noise.
inline constexpr std::size_t kStreamChunkBytes = 256 * 1024;

// The peer went away (or timed out): nothing to answer.
inline bool connection_gone(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::broken_pipe || ec == beast::error::timeout ||
         ec == bhttp::error::partial_message;
}

// Runs `work` (noexcept, non-void) on `pool` and resumes the calling coroutine on its own
// executor with the result.
template <class Work, class Result = std::invoke_result_t<Work>>
asio::awaitable<Result> run_on(asio::thread_pool& pool, Work work) {
  auto home = co_await asio::this_coro::executor;
  auto initiation = [&pool, &work, &home](auto handler) {
    asio::post(pool, [work = std::move(work), handler = std::move(handler), home]() mutable {
      Result response = work();
      asio::post(home, [handler = std::move(handler), response = std::move(response)]() mutable {
        std::move(handler)(std::move(response));
      });
    });
  };
  Result response = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Result)>(
      initiation, asio::use_awaitable);
  co_return response;
}

class Session;

class Server::Impl {
 public:
  Impl(ServerOptions o, const Router& r, Metrics& m)
      : options(std::move(o)),
        router(r),
        metrics(m),
        workers(static_cast<std::size_t>(std::max(1, options.worker_threads))),
        heavy_workers(static_cast<std::size_t>(std::max(1, options.heavy_threads))),
        transfer_workers(static_cast<std::size_t>(std::max(1, options.transfer_threads))),
        acceptor_strand(asio::make_strand(ioc)),
        acceptor(acceptor_strand) {}

  void start();
  void stop();
  void run_io();
  void accept_next();
  void start_session(tcp::socket socket);
  void forget(std::uint64_t id) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(id);
  }
  std::vector<std::shared_ptr<Session>> live_sessions();
  // CORS response headers for `origin`, when it is allowed.
  void add_cors(std::string_view origin, Response& response) const;
  bool origin_allowed(std::string_view origin) const;

  ServerOptions options;
  const Router& router;
  Metrics& metrics;
  // Declared before the io_context so they outlive it: destroying the context destroys
  // suspended session coroutines, whose destructors unregister here.
  std::mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session_id = 0;
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};
  std::uint16_t bound_port = 0;
  std::vector<std::thread> threads;
  asio::thread_pool workers;
  asio::thread_pool heavy_workers;
  asio::thread_pool transfer_workers;
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> acceptor_strand;
  tcp::acceptor acceptor;
};

}  // namespace karma::http
