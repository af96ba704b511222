#include "jobs/scheduler.hpp"

#include "core/log.hpp"

namespace karma::jobs {

void Scheduler::every(std::string name, std::chrono::milliseconds interval,
                      std::function<void()> job) {
  entries_.push_back({std::move(name), interval, std::move(job), {}});
}

void Scheduler::start() {
  if (entries_.empty() || thread_.joinable()) return;
  const auto now = std::chrono::steady_clock::now();
  for (auto& e : entries_) e.due = now + e.interval;
  thread_ = std::thread([this] { run(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = entries_.front().due;
    for (const auto& e : entries_) next = std::min(next, e.due);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) break;
    const auto now = std::chrono::steady_clock::now();
    for (auto& e : entries_) {
      if (e.due > now) continue;
      e.due = now + e.interval;
      lock.unlock();
      try {
        // Held across three intervals: the holder renews it every run; when it dies another
        // instance takes over within three.
        if (!lease_ || lease_(e.name, e.interval * 3)) e.job();
      } catch (const std::exception& ex) {
        log::error("background job failed", {{"job", e.name}, {"error", ex.what()}});
      }
      lock.lock();
      if (stopping_) break;
    }
  }
}

}  // namespace karma::jobs
