// The scheduler asks for a job's lease before every run: without it the job waits.
#include "jobs/scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace karma::jobs {
namespace {

using namespace std::chrono_literals;

// Waits (up to 5 s) for `done`.
template <class Done>
bool eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
  return done();
}

TEST(Scheduler, RunsAJobOnlyWhileThisInstanceHoldsItsLease) {
  std::atomic<int> runs{0}, asked{0};
  std::atomic<bool> held{false};
  Scheduler scheduler;
  scheduler.every("prune", 10ms, [&] { ++runs; });
  scheduler.use_leases([&](const std::string& name, std::chrono::milliseconds ttl) {
    EXPECT_EQ(name, "prune");
    EXPECT_EQ(ttl, 30ms) << "three intervals";
    ++asked;
    return held.load();
  });
  scheduler.start();
  ASSERT_TRUE(eventually([&] { return asked >= 5; }));
  EXPECT_EQ(runs, 0) << "another instance holds the lease";
  held = true;
  EXPECT_TRUE(eventually([&] { return runs >= 3; }));
  scheduler.stop();
}

}  // namespace
}  // namespace karma::jobs
