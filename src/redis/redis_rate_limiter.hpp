#pragma once
// Login throttling (and the other fixed-window counters) shared by every instance through
// Redis: five instances allow five failures, not twenty-five. Without Redis it fails open —
// one warning per outage — and tries again at most once a second.
#include <memory>
#include <string>

#include "core/rate_limiter.hpp"

namespace karma::redis {

// Throws std::invalid_argument for a malformed URL; connects lazily.
std::unique_ptr<RateLimiter> make_rate_limiter(const std::string& url);

}  // namespace karma::redis
