#include "http/outbound.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <mutex>

#include "core/validation.hpp"

namespace karma::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

using OutgoingRequest = bhttp::request<bhttp::span_body<const char>>;
using Parser = bhttp::response_parser<bhttp::buffer_body>;

struct Origin {
  bool tls = false;
  std::string host;
  std::string port;
  std::string host_header;  // host, plus the port when it is not the scheme's default
};

Origin parse_origin(std::string_view text) {
  auto url = boost::urls::parse_uri(text);
  if (!url) throw std::invalid_argument("not a URL: " + std::string(text));
  Origin o;
  if (url->scheme() == "https")
    o.tls = true;
  else if (url->scheme() != "http")
    throw std::invalid_argument("only http:// and https:// are supported: " + std::string(text));
  if (!url->path().empty() && url->path() != "/")
    throw std::invalid_argument("an origin has no path: " + std::string(text));
  o.host = url->host_address();
  if (o.host.empty()) throw std::invalid_argument("no host in " + std::string(text));
  const std::string default_port = o.tls ? "443" : "80";
  o.port = url->has_port() ? std::string(url->port()) : default_port;
  o.host_header = std::string(url->encoded_host_and_port());
  if (url->has_port() && o.port == default_port) o.host_header = std::string(url->encoded_host());
  return o;
}

// One connection, driven by an io_context of its own: Beast's timeouts apply only to
// asynchronous operations, so each blocking step runs one asynchronous operation to completion.
class Connection {
 public:
  explicit Connection(std::chrono::milliseconds io_timeout) : io_timeout_(io_timeout) {
    // Beast reads no more than the buffer's free capacity: without room, a body arrives a few
    // kilobytes per system call.
    buffer_.reserve(64 * 1024);
  }
  virtual ~Connection() = default;
  virtual void write(OutgoingRequest& request) = 0;
  virtual void read_header(Parser& parser, std::chrono::milliseconds timeout) = 0;
  // Body bytes into `out`; fewer than asked only when the body is complete, or with `some`,
  // as soon as any arrived.
  virtual std::size_t read_body(Parser& parser, std::span<char> out, bool some) = 0;
  // From another thread: the operation under way (or the next) fails at once.
  virtual void cancel() = 0;

 protected:
  template <class Initiate>
  void run(Initiate&& initiate) {
    boost::system::error_code result;
    initiate([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    if (result && result != bhttp::error::need_buffer) throw boost::system::system_error(result);
  }

  asio::io_context ioc_{1};
  beast::flat_buffer buffer_;
  std::chrono::milliseconds io_timeout_;
};

template <class Stream>
class StreamConnection final : public Connection {
 public:
  template <class... StreamArgs>
  StreamConnection(std::chrono::milliseconds io_timeout, StreamArgs&... stream_args)
      : Connection(io_timeout), stream_(ioc_, stream_args...) {}

  void open(const Origin& origin, std::chrono::milliseconds connect_timeout) {
    tcp::resolver resolver(ioc_);
    const auto endpoints = resolver.resolve(origin.host, origin.port);
    auto& socket = beast::get_lowest_layer(stream_);
    socket.expires_after(connect_timeout);
    run([&](auto done) { socket.async_connect(endpoints, done); });
    socket.socket().set_option(tcp::no_delay(true));
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      // SNI, then the certificate must name the host we asked for.
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), origin.host.c_str()))
        throw boost::system::system_error(boost::system::error_code(
            static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
      stream_.set_verify_callback(ssl::host_name_verification(origin.host));
      socket.expires_after(connect_timeout);
      run([&](auto done) { stream_.async_handshake(ssl::stream_base::client, done); });
    }
  }

  void write(OutgoingRequest& request) override {
    arm();
    run([&](auto done) { bhttp::async_write(stream_, request, done); });
  }

  void read_header(Parser& parser, std::chrono::milliseconds timeout) override {
    beast::get_lowest_layer(stream_).expires_after(timeout.count() > 0 ? timeout : io_timeout_);
    run([&](auto done) { bhttp::async_read_header(stream_, buffer_, parser, done); });
  }

  std::size_t read_body(Parser& parser, std::span<char> out, bool some) override {
    if (out.empty()) return 0;
    auto& body = parser.get().body();
    body.data = out.data();
    body.size = out.size();
    // A read may parse only framing (a chunk header): go on until bytes or the end arrive.
    while (!parser.is_done() && body.size == out.size()) {
      arm();
      if (some)
        run([&](auto done) { bhttp::async_read_some(stream_, buffer_, parser, done); });
      else
        run([&](auto done) { bhttp::async_read(stream_, buffer_, parser, done); });
      if (!some) break;
    }
    return out.size() - body.size;
  }

  void cancel() override {
    asio::post(ioc_, [this] { beast::get_lowest_layer(stream_).close(); });
  }

 private:
  void arm() { beast::get_lowest_layer(stream_).expires_after(io_timeout_); }

  Stream stream_;
};

using PlainConnection = StreamConnection<beast::tcp_stream>;
using TlsConnection = StreamConnection<beast::ssl_stream<beast::tcp_stream>>;

// A connection the origin closed while it sat in the pool fails like this before any
// response byte arrives; the request was never processed and may be sent again.
bool closed_while_idle(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

class OutboundClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(std::string_view origin, OutboundOptions options)
      : origin_(parse_origin(origin)), options_(std::move(options)) {
    if (origin_.tls) {
      tls_.emplace(ssl::context::tls_client);
      tls_->set_default_verify_paths();
      if (!options_.ca_file.empty()) tls_->load_verify_file(options_.ca_file);
      tls_->set_verify_mode(ssl::verify_peer);
    }
  }

  const std::string& host() const { return origin_.host_header; }

  std::unique_ptr<ResponseStream> send(const OutboundRequest& request);

  void give_back(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(connection));
  }

 private:
  std::unique_ptr<Connection> take_idle() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return nullptr;
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }

  std::unique_ptr<Connection> connect() {
    if (origin_.tls) {
      auto c = std::make_unique<TlsConnection>(options_.io_timeout, *tls_);
      c->open(origin_, options_.connect_timeout);
      return c;
    }
    auto c = std::make_unique<PlainConnection>(options_.io_timeout);
    c->open(origin_, options_.connect_timeout);
    return c;
  }

  Origin origin_;
  OutboundOptions options_;
  std::optional<ssl::context> tls_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

namespace {

class PooledResponse final : public ResponseStream {
 public:
  PooledResponse(std::shared_ptr<OutboundClient::Impl> pool, std::unique_ptr<Connection> connection,
                 std::unique_ptr<Parser> parser, Cancellation* cancellation)
      : pool_(std::move(pool)),
        connection_(std::move(connection)),
        parser_(std::move(parser)),
        cancellation_(cancellation) {
    const auto& head = parser_->get();
    status_ = static_cast<int>(head.result_int());
    for (const auto& field : head)
      headers_.push_back({ascii_lower(field.name_string()), std::string(field.value())});
    finish_if_done();
  }
  ~PooledResponse() override {
    if (cancellation_) cancellation_->detach();
  }

  std::size_t read(std::span<char> buffer) override { return read_body(buffer, false); }
  std::size_t read_some(std::span<char> buffer) override { return read_body(buffer, true); }

 private:
  std::size_t read_body(std::span<char> buffer, bool some) {
    if (!connection_ || parser_->is_done()) return 0;
    try {
      const std::size_t n = connection_->read_body(*parser_, buffer, some);
      finish_if_done();
      return n;
    } catch (const boost::system::system_error& e) {
      drop();
      throw OutboundError(std::string("reading response body: ") + e.what());
    }
  }

  // A finished exchange on a connection both sides keep open can carry the next request —
  // unless a cancel may still be posted to it.
  void finish_if_done() {
    if (!parser_->is_done()) return;
    const bool cancelled = cancellation_ && cancellation_->cancelled();
    if (cancellation_) cancellation_->detach();
    cancellation_ = nullptr;
    if (parser_->get().keep_alive() && !cancelled) pool_->give_back(std::move(connection_));
    connection_.reset();
  }

  void drop() {
    if (cancellation_) cancellation_->detach();
    cancellation_ = nullptr;
    connection_.reset();
  }

  std::shared_ptr<OutboundClient::Impl> pool_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<Parser> parser_;
  Cancellation* cancellation_;
};

}  // namespace

std::unique_ptr<ResponseStream> OutboundClient::Impl::send(const OutboundRequest& request) {
  for (int attempt = 0;; ++attempt) {
    auto connection = attempt == 0 ? take_idle() : nullptr;
    const bool reused = connection != nullptr;
    try {
      if (!connection) connection = connect();
      if (request.cancellation) {
        Connection* raw = connection.get();
        request.cancellation->attach([raw] { raw->cancel(); });
      }
      OutgoingRequest req;
      req.version(11);
      const auto verb = bhttp::string_to_verb(request.method);
      if (verb == bhttp::verb::unknown)
        req.method_string(request.method);
      else
        req.method(verb);
      req.target(request.target);
      req.set(bhttp::field::host, origin_.host_header);
      for (const auto& h : request.headers) req.set(h.name, h.value);
      req.body() = {request.body.data(), request.body.size()};
      req.prepare_payload();
      connection->write(req);
      auto parser = std::make_unique<Parser>();
      parser->body_limit(boost::none);
      if (verb == bhttp::verb::head) parser->skip(true);
      connection->read_header(*parser, options_.first_byte_timeout);
      return std::make_unique<PooledResponse>(shared_from_this(), std::move(connection),
                                              std::move(parser), request.cancellation);
    } catch (const boost::system::system_error& e) {
      if (request.cancellation) request.cancellation->detach();
      if (reused && closed_while_idle(e.code())) continue;
      throw OutboundError(std::string(request.method) + " " + origin_.host_header +
                          std::string(request.target.substr(0, request.target.find('?'))) + ": " +
                          e.what());
    }
  }
}

void Cancellation::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (abort_) abort_();
}

bool Cancellation::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

void Cancellation::attach(std::function<void()> abort) {
  std::lock_guard lock(mutex_);
  abort_ = std::move(abort);
  if (cancelled_) abort_();
}

void Cancellation::detach() {
  std::lock_guard lock(mutex_);
  abort_ = nullptr;
}

std::string ResponseStream::read_all(std::size_t limit) {
  std::string body;
  char chunk[16384];
  while (const std::size_t n = read(chunk)) {
    if (body.size() + n > limit) throw OutboundError("response body over the limit");
    body.append(chunk, n);
  }
  return body;
}

OutboundClient::OutboundClient(std::string_view origin, OutboundOptions options)
    : impl_(std::make_shared<Impl>(origin, std::move(options))) {}
OutboundClient::~OutboundClient() = default;

const std::string& OutboundClient::host() const {
  return impl_->host();
}

std::unique_ptr<ResponseStream> OutboundClient::send(const OutboundRequest& request) {
  return impl_->send(request);
}

}  // namespace karma::http
