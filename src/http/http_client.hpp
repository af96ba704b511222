#pragma once
// A small blocking HTTP/1.1 client over one keep-alive connection (tests, tools). Beast stays
// inside http_client.cpp.
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"

namespace karma::http {

struct ClientResponse {
  int status = 0;
  std::vector<Header> headers;  // names lowercase
  std::string body;
  std::string_view header(std::string_view name) const;
  // The body parsed as JSON (null when it is not JSON).
  boost::json::value json() const;
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  ClientResponse request(std::string_view method, std::string_view target,
                         std::string_view body = {}, const std::vector<Header>& headers = {});
  // Writes raw bytes on a fresh connection and reads until the server closes it or
  // `responses` complete responses arrived (pipelining, malformed requests).
  std::vector<ClientResponse> raw(std::string_view bytes, int responses);

  // Called after each request() with what was asked and answered (tests record them).
  using Observer = std::function<void(std::string_view method, std::string_view target,
                                      const ClientResponse& response)>;
  void observe(Observer observer) { observer_ = std::move(observer); }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  Observer observer_;
};

}  // namespace karma::http
