#pragma once
// Periodic background jobs (offline detection, expiry, pruning) on one thread of their own.
// Jobs are written as single conditional statements, so running them in several instances at
// once is safe.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace karma::jobs {

class Scheduler {
 public:
  ~Scheduler() { stop(); }
  // Runs `job` every `interval`, first one interval after start(). Register before start().
  void every(std::string name, std::chrono::milliseconds interval, std::function<void()> job);
  void start();
  void stop();  // waits for a running job to finish; idempotent

 private:
  struct Entry {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<void()> job;
    std::chrono::steady_clock::time_point due;
  };
  void run();

  std::vector<Entry> entries_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace karma::jobs
