#pragma once
// Periodic background jobs (offline detection, expiry, pruning) on one thread of their own.
// With leases, a job runs on one instance at a time (the one holding its lease); jobs are
// still single conditional statements, so a run that overlaps a lease changing hands is safe.
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
  // Before each run: may this instance run `name` now? (Given a lease for this long.)
  using Lease = std::function<bool(const std::string& name, std::chrono::milliseconds ttl)>;
  void use_leases(Lease lease) { lease_ = std::move(lease); }
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
  Lease lease_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace karma::jobs
