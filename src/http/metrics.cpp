#include "http/metrics.hpp"

#include <cstdio>

namespace karma::http {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void Metrics::observe(std::string_view method, std::string_view route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  auto key = std::make_tuple(std::string(method), std::string(route), status);
  Series& s = series_[std::move(key)];
  ++s.count;
  s.sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++s.buckets[i];
}

void Metrics::add_collector(std::function<void(std::string&)> collect) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collect));
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP karma_http_requests_total HTTP requests answered.\n";
  out += "# TYPE karma_http_requests_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [key, s] : series_) {
    const auto& [method, route, status] = key;
    out += "karma_http_requests_total{method=\"" + method + "\",route=\"" + route + "\",status=\"" +
           std::to_string(status) + "\"} " + std::to_string(s.count) + "\n";
  }
  out += "# HELP karma_http_request_duration_seconds Time from request read to response.\n";
  out += "# TYPE karma_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : series_) {
    const auto& [method, route, status] = key;
    const std::string labels = "method=\"" + method + "\",route=\"" + route + "\",status=\"" +
                               std::to_string(status) + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += "karma_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             number(kBuckets[i]) + "\"} " + std::to_string(s.buckets[i]) + "\n";
    }
    out += "karma_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(s.count) + "\n";
    out += "karma_http_request_duration_seconds_sum{" + labels + "} " + number(s.sum) + "\n";
    out += "karma_http_request_duration_seconds_count{" + labels + "} " + std::to_string(s.count) +
           "\n";
  }
  out += "# HELP karma_http_requests_in_flight Requests being handled now.\n";
  out += "# TYPE karma_http_requests_in_flight gauge\n";
  out += "karma_http_requests_in_flight " + std::to_string(in_flight()) + "\n";
  for (const auto& collect : collectors_) collect(out);
  return out;
}

}  // namespace karma::http
