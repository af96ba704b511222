#include "core/rate_limiter.hpp"

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.hpp"

namespace karma {
namespace {

class InProcessRateLimiter final : public RateLimiter {
 public:
  int blocked_for(std::string_view key, int limit, int window_seconds) override {
    std::lock_guard lock(mutex_);
    auto it = windows_.find(std::string(key));
    if (it == windows_.end()) return 0;
    const EpochMs now = now_ms();
    const EpochMs ends = it->second.started + EpochMs(window_seconds) * 1000;
    if (now >= ends || it->second.count < limit) return 0;
    return static_cast<int>((ends - now + 999) / 1000);
  }

  void hit(std::string_view key, int window_seconds) override {
    std::lock_guard lock(mutex_);
    const EpochMs now = now_ms();
    if (++hits_since_sweep_ > 4096) sweep(now, window_seconds);
    auto& w = windows_[std::string(key)];
    if (w.count == 0 || now >= w.started + EpochMs(window_seconds) * 1000) {
      w = Window{now, 0};
    }
    ++w.count;
  }

  void reset(std::string_view key) override {
    std::lock_guard lock(mutex_);
    windows_.erase(std::string(key));
  }

 private:
  struct Window {
    EpochMs started = 0;
    int count = 0;
  };

  // Bounds memory: windows that ended are forgotten.
  void sweep(EpochMs now, int window_seconds) {
    hits_since_sweep_ = 0;
    std::erase_if(windows_, [&](const auto& entry) {
      return now >= entry.second.started + EpochMs(window_seconds) * 1000;
    });
  }

  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  int hits_since_sweep_ = 0;
};

}  // namespace

std::unique_ptr<RateLimiter> make_in_process_rate_limiter() {
  return std::make_unique<InProcessRateLimiter>();
}

}  // namespace karma
