#include "http/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include "core/validation.hpp"

namespace karma::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

ClientResponse convert(bhttp::response<bhttp::string_body>& r) {
  ClientResponse out;
  out.status = static_cast<int>(r.result_int());
  for (const auto& field : r) {
    out.headers.push_back({ascii_lower(field.name_string()), std::string(field.value())});
  }
  out.body = std::move(r.body());
  return out;
}

}  // namespace

std::string_view ClientResponse::header(std::string_view name) const {
  return find_header(headers, name);
}

boost::json::value ClientResponse::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value() : v;
}

class HttpClient::Impl {
 public:
  Impl(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}

  tcp::socket connect() {
    tcp::socket socket(ioc_);
    tcp::resolver resolver(ioc_);
    asio::connect(socket, resolver.resolve(host_, std::to_string(port_)));
    return socket;
  }

  ClientResponse request(std::string_view method, std::string_view target, std::string_view body,
                         const std::vector<Header>& headers) {
    // One retry on a fresh connection: the server may have closed the idle one.
    for (int attempt = 0;; ++attempt) {
      try {
        if (!socket_) socket_.emplace(connect());
        bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
        req.set(bhttp::field::host, host_);
        for (const auto& h : headers) req.set(h.name, h.value);
        if (!body.empty() && req[bhttp::field::content_type].empty())
          req.set(bhttp::field::content_type, "application/json");
        req.body() = std::string(body);
        req.prepare_payload();
        bhttp::write(*socket_, req);
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(1024ull * 1024 * 1024);
        if (method == "HEAD") parser.skip(true);
        bhttp::read(*socket_, buffer_, parser);
        auto res = parser.release();
        if (!res.keep_alive()) socket_.reset();
        return convert(res);
      } catch (const boost::system::system_error&) {
        socket_.reset();
        buffer_.clear();
        if (attempt > 0) throw;
      }
    }
  }

  std::vector<ClientResponse> raw(std::string_view bytes, int responses) {
    tcp::socket socket = connect();
    asio::write(socket, asio::buffer(bytes.data(), bytes.size()));
    std::vector<ClientResponse> out;
    beast::flat_buffer buffer;
    while (static_cast<int>(out.size()) < responses) {
      bhttp::response<bhttp::string_body> res;
      boost::system::error_code ec;
      bhttp::read(socket, buffer, res, ec);
      if (ec) break;
      out.push_back(convert(res));
    }
    return out;
  }

 private:
  asio::io_context ioc_;
  std::string host_;
  std::uint16_t port_;
  std::optional<tcp::socket> socket_;
  beast::flat_buffer buffer_;
};

HttpClient::HttpClient(std::string host, std::uint16_t port)
    : impl_(std::make_unique<Impl>(std::move(host), port)) {}
HttpClient::~HttpClient() = default;

ClientResponse HttpClient::request(std::string_view method, std::string_view target,
                                   std::string_view body, const std::vector<Header>& headers) {
  return impl_->request(method, target, body, headers);
}

std::vector<ClientResponse> HttpClient::raw(std::string_view bytes, int responses) {
  return impl_->raw(bytes, responses);
}

}  // namespace karma::http
