#include "http/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include "core/validation.hpp"
#include "http/outbound.hpp"

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
  Impl(std::string host, std::uint16_t port)
      : host_(std::move(host)),
        port_(port),
        outbound_("http://" + host_ + ":" + std::to_string(port_), options()) {}

  // One keep-alive connection; tests may wait long for a slow answer.
  static OutboundOptions options() {
    OutboundOptions o;
    o.io_timeout = std::chrono::minutes(2);
    o.max_idle_connections = 1;
    return o;
  }

  ClientResponse request(std::string_view method, std::string_view target, std::string_view body,
                         const std::vector<Header>& headers) {
    OutboundRequest req{method, target, headers, body};
    if (!body.empty() && find_header(headers, "content-type").empty())
      req.headers.push_back({"content-type", "application/json"});
    auto res = outbound_.send(req);
    ClientResponse out;
    out.status = res->status();
    out.headers = res->headers();
    out.body = res->read_all(1024ull * 1024 * 1024);
    return out;
  }

  std::vector<ClientResponse> raw(std::string_view bytes, int responses) {
    tcp::socket socket(ioc_);
    tcp::resolver resolver(ioc_);
    asio::connect(socket, resolver.resolve(host_, std::to_string(port_)));
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
  OutboundClient outbound_;
};

HttpClient::HttpClient(std::string host, std::uint16_t port)
    : impl_(std::make_unique<Impl>(std::move(host), port)) {}
HttpClient::~HttpClient() = default;

ClientResponse HttpClient::request(std::string_view method, std::string_view target,
                                   std::string_view body, const std::vector<Header>& headers) {
  ClientResponse response = impl_->request(method, target, body, headers);
  if (observer_) observer_(method, target, response);
  return response;
}

std::vector<ClientResponse> HttpClient::raw(std::string_view bytes, int responses) {
  return impl_->raw(bytes, responses);
}

}  // namespace karma::http
