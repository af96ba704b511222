#pragma once
// Outbound HTTP/1.1 and HTTPS to one origin (object stores, LLM providers): a pool of
// keep-alive connections, a timeout on every network step, request bodies sent from the
// caller's memory and response bodies read in pieces. Beast stays inside outbound.cpp.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"

namespace karma::http {

// The origin could not be reached or the exchange broke off (connect, TLS, timeout, reset).
class OutboundError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Lets another thread abort an exchange in flight (a client went away, the server stops): the
// blocking step under way, or the next one, fails at once with OutboundError. Thread-safe.
class Cancellation {
 public:
  void cancel();
  bool cancelled() const;
  // Used by the exchange: `abort` runs on cancel() (at once when already cancelled) until
  // detach(). One exchange at a time.
  void attach(std::function<void()> abort);
  void detach();

 private:
  mutable std::mutex mutex_;
  std::function<void()> abort_;
  bool cancelled_ = false;
};

struct OutboundOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Longest wait for the response head once the request is sent (0: io_timeout): a model
  // thinking before its first token.
  std::chrono::milliseconds first_byte_timeout{0};
  // Longest wait for any one read or write; a slow but moving transfer never times out.
  std::chrono::milliseconds io_timeout{30000};
  std::size_t max_idle_connections = 8;
  // PEM file of extra trusted certificates (private CAs, tests); the system's are always used.
  std::string ca_file;
};

struct OutboundRequest {
  std::string_view method;
  std::string_view target;  // origin-form, already percent-encoded
  std::vector<Header> headers;
  std::string_view body;                 // sent from here, never copied
  Cancellation* cancellation = nullptr;  // outlives the exchange, when given
};

// A response whose body is read on demand. Its connection returns to the pool once the body
// has been read to the end; a response abandoned earlier closes its connection.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  int status() const { return status_; }
  const std::vector<Header>& headers() const { return headers_; }
  std::string_view header(std::string_view name) const { return find_header(headers_, name); }
  // Up to `buffer.size()` body bytes; 0 once the body is complete.
  virtual std::size_t read(std::span<char> buffer) = 0;
  // The body bytes that have arrived (at least one, waiting for them), up to `buffer.size()`;
  // 0 once the body is complete. For streamed bodies (server-sent events).
  virtual std::size_t read_some(std::span<char> buffer) = 0;
  // The rest of the body; throws OutboundError beyond `limit` bytes.
  std::string read_all(std::size_t limit);

 protected:
  int status_ = 0;
  std::vector<Header> headers_;  // names lowercase
};

class OutboundClient {
 public:
  // `origin` is "http://host[:port]" or "https://host[:port]"; a path after it is refused.
  explicit OutboundClient(std::string_view origin, OutboundOptions options = {});
  ~OutboundClient();
  OutboundClient(const OutboundClient&) = delete;
  OutboundClient& operator=(const OutboundClient&) = delete;

  // The Host header every request carries (signers need it).
  const std::string& host() const;
  // Sends the request and reads the response head. A pooled connection the origin closed
  // while idle is replaced transparently; any other failure throws OutboundError.
  std::unique_ptr<ResponseStream> send(const OutboundRequest& request);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace karma::http
