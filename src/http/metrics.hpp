#pragma once
// Prometheus metrics of the HTTP server: request count and latency histogram by route and
// status, requests in flight, plus gauges other parts register (database pool).
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace karma::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};

  void observe(std::string_view method, std::string_view route, int status, double seconds);
  void begin_request() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void end_request() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  // A gauge read at scrape time: `read` appends "name value\n" style lines (with HELP/TYPE).
  void add_collector(std::function<void(std::string&)> collect);
  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Series {
    std::uint64_t count = 0;
    double sum = 0;
    std::array<std::uint64_t, kBuckets.size()> buckets{};
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, Series, std::less<>> series_;
  std::vector<std::function<void(std::string&)>> collectors_;
  std::atomic<int> in_flight_{0};
};

}  // namespace karma::http
