#pragma once
// Fixed-window counters keyed by string (login throttling, later API limits). The in-process
// implementation serves one instance; a Redis one shares counters between instances.
#include <memory>
#include <string_view>

namespace karma {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Seconds until `key` may act again (0: allowed now). Does not count a hit.
  virtual int blocked_for(std::string_view key, int limit, int window_seconds) = 0;
  // Counts one hit against `key` within the window.
  virtual void hit(std::string_view key, int window_seconds) = 0;
  virtual void reset(std::string_view key) = 0;
};

std::unique_ptr<RateLimiter> make_in_process_rate_limiter();

}  // namespace karma
